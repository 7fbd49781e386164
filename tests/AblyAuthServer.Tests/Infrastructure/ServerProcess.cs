using System.Diagnostics;
using System.Reflection;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>Runs the built server executable as an operator would: <c>dotnet AblyAuthServer.dll ...</c>.</summary>
public static class ServerProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AblyAuthServer.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("AblyAuthServer.sln not found above the test output.");
        }
    }

    /// <summary>The server built alongside these tests, in the same configuration.</summary>
    public static string ServerDll
    {
        get
        {
            var configuration = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            var path = Path.Combine(RepositoryRoot, "src", "AblyAuthServer", "bin", configuration, "net10.0", "AblyAuthServer.dll");
            Assert.True(File.Exists(path), $"the server is not built at {path}");
            return path;
        }
    }

    /// <summary>Runs the server with only the given environment (plus PATH/HOME), stdin text, and a time limit.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, IDictionary<string, string> environment, string? input = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(ServerDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME", "DOTNET_ROOT" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the server did not exit: {await error}");
        }

        return new Result(process.ExitCode, await output, await error);
    }
}
