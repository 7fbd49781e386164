using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

/// <summary>Turns configuration failures into one clear line on stderr and a non-zero exit, instead of a stack trace.</summary>
internal static class StartupGuard
{
    public const int ConfigurationErrorExitCode = 2;

    public static async Task<int> RunGuardedAsync(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (Describe(e) is { } message)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {message}");
            return ConfigurationErrorExitCode;
        }
    }

    /// <summary>Runs every <c>ValidateOnStart</c> check now, before the host starts and logs failures with stack traces.</summary>
    public static void ValidateConfiguration(this WebApplication app) =>
        app.Services.GetRequiredService<IStartupValidator>().Validate();

    private static string? Describe(Exception e) => e switch
    {
        OptionsValidationException validation => string.Join(" ", validation.Failures),
        StartupConfigurationException configuration => configuration.Message,
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerException!),
        _ => null,
    };
}
