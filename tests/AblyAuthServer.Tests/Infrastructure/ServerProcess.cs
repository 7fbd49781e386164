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

    /// <summary>
    /// The server to run: <c>ABLY_AUTH_SERVER_DLL</c> when set (build.sh publishes the server once, as the Dockerfile
    /// does, and every suite runs that), else the server built alongside these tests, in the same configuration.
    /// </summary>
    public static string ServerDll
    {
        get
        {
            if (Environment.GetEnvironmentVariable("ABLY_AUTH_SERVER_DLL") is { Length: > 0 } published)
            {
                // No fallback to the build output: a failed publish must fail these tests, not go unnoticed.
                Assert.True(File.Exists(published), $"ABLY_AUTH_SERVER_DLL={published} does not exist (did the publish fail?)");
                return published;
            }

            var configuration = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            var path = Path.Combine(RepositoryRoot, "src", "AblyAuthServer", "bin", configuration, "net10.0", "AblyAuthServer.dll");
            Assert.True(File.Exists(path), $"the server is not built at {path}");
            return path;
        }
    }

    /// <summary>Runs the server with only the given environment (plus PATH/HOME), stdin text, and a time limit.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, IDictionary<string, string> environment, string? input = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(args, environment))!;
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

    /// <summary>Starts the server as a long-running process and waits until it listens on <paramref name="port"/>.</summary>
    public static async Task<RunningServer> StartAsync(int port, IDictionary<string, string> environment)
    {
        var server = new RunningServer(Process.Start(StartInfo([], environment))!, port);
        try
        {
            await server.WaitForOutputAsync("Now listening on:", TimeSpan.FromSeconds(60));
        }
        catch
        {
            // A server that never started listening must not outlive the test that started it.
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>A port that was free a moment ago, on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string> environment)
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

        return start;
    }
}

/// <summary>A server process started by <see cref="ServerProcess.StartAsync"/>; killed on dispose if still running.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly Task _readers;

    internal RunningServer(Process process, int port)
    {
        _process = process;
        Port = port;
        process.StandardInput.Close();
        _readers = Task.WhenAll(ReadAsync(process.StandardOutput), ReadAsync(process.StandardError));
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>Every line written to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>Sends SIGTERM, as a container runtime or Kubernetes does to stop the process.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        await _readers;
        return _process.ExitCode;
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited && _readers.IsCompleted || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the server never wrote '{text}':\n{string.Join('\n', Output)}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }
}
