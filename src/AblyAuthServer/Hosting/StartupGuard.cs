using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

/// <summary>Turns configuration failures into one clear line on stderr and a non-zero exit, instead of a stack trace.</summary>
internal static partial class StartupGuard
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

    /// <summary>
    /// The one line for a configuration failure, or null for anything else (which stays a crash with its stack trace).
    /// Several failing sections become one line; a value the binder cannot convert is named by its setting only,
    /// never by its value, which may be a secret.
    /// </summary>
    internal static string? Describe(Exception e) => e switch
    {
        OptionsValidationException validation => string.Join(" ", validation.Failures),
        StartupConfigurationException configuration => configuration.Message,
        InvalidOperationException conversion when UnconvertibleValue().Match(conversion.Message) is { Success: true } match =>
            $"{match.Groups["key"].Value} ({OptionsFailures.EnvironmentVariable(match.Groups["key"].Value)}) is not a valid {FriendlyType(match.Groups["type"].Value)}.",
        AggregateException aggregate when aggregate.InnerExceptions.Select(Describe).ToList() is var lines && lines.All(line => line is not null) =>
            string.Join(" ", lines),
        _ => null,
    };

    private static string FriendlyType(string type) => type switch
    {
        "System.TimeSpan" => "duration (hh:mm:ss, or d.hh:mm:ss)",
        "System.Int32" or "System.Int64" => "whole number",
        "System.Double" => "number",
        "System.Boolean" => "boolean (true or false)",
        _ when type.StartsWith("System.Nullable`1[[", StringComparison.Ordinal) =>
            FriendlyType(type["System.Nullable`1[[".Length..type.IndexOf(',', StringComparison.Ordinal)]),
        _ => "value of type " + type[(type.LastIndexOf('.') + 1)..],
    };

    // The binder's message quotes the value too; only the key and the type are taken from it.
    [GeneratedRegex("^Failed to convert configuration value (?:'(?s:.*)' )?at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex UnconvertibleValue();
}
