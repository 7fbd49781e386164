using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

/// <summary>
/// The failures an options validator found, each one line naming the setting and the environment variable that sets
/// it, so that startup stops with a message an operator can act on.
/// </summary>
public sealed class OptionsFailures
{
    private readonly List<string> _failures = [];

    /// <summary>Adds "<paramref name="setting"/> (its environment variable) <paramref name="problem"/>".</summary>
    public void Add(string setting, string problem) => AddLine($"{setting} ({EnvironmentVariable(setting)}) {problem}");

    /// <summary>Adds a line already naming its setting (a message shared with another check).</summary>
    public void AddLine(string line) => _failures.Add(line);

    public ValidateOptionsResult Result => _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);

    /// <summary>The environment variable for a configuration key: <c>Ably:MaxTtl</c> is <c>ABLY__MAXTTL</c>.</summary>
    public static string EnvironmentVariable(string setting) => setting.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();
}
