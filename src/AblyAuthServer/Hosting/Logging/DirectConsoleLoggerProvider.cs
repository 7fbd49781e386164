using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting.Logging;

/// <summary>
/// Formats each log entry with the framework's configured <see cref="ConsoleFormatter"/> (<c>json</c>, <c>simple</c>,
/// <c>systemd</c>) on the calling thread and appends it to standard output, which <see cref="BufferedConsoleOutput"/>
/// buffers and flushes every 100 ms. The framework's <see cref="ConsoleLoggerProvider"/> instead queues every line to a
/// writer thread and wakes that thread for it, a cross-thread handoff for every issued token's audit line, which
/// the benchmark showed as a large share of the token path. Same output, same settings, same alias
/// (<c>Logging:Console:*</c>); a line is lost only if the process dies within 100 ms of writing it. The <c>json</c> format
/// is written by <see cref="JsonLogLine"/>, which encodes each field once, straight to UTF-8.
/// </summary>
[ProviderAlias("Console")]
internal sealed class DirectConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly Dictionary<string, ConsoleFormatter> _formatters;
    private readonly IDisposable? _reload;
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    private readonly IDisposable? _jsonReload;
    private JsonConsoleFormatterOptions _json;
    private bool _jsonFormat;

    public DirectConsoleLoggerProvider(
        IOptionsMonitor<ConsoleLoggerOptions> options, IOptionsMonitor<JsonConsoleFormatterOptions> jsonOptions, IEnumerable<ConsoleFormatter> formatters)
    {
        _formatters = formatters.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        // The json formatter reads these same options (Logging:Console:FormatterOptions), unnamed.
        _json = jsonOptions.CurrentValue;
        _jsonReload = jsonOptions.OnChange(changed => _json = changed);
        Apply(options.CurrentValue);
        _reload = options.OnChange(Apply);
    }

    internal ConsoleFormatter Formatter { get; private set; } = null!;

    internal LogLevel StandardErrorThreshold { get; private set; }

    /// <summary>The json format's options when it is the configured format (<see cref="JsonLogLine"/> writes it); else null.</summary>
    internal JsonConsoleFormatterOptions? JsonOptions => _jsonFormat ? _json : null;

    internal IExternalScopeProvider Scopes => _scopes;

    public ILogger CreateLogger(string categoryName) => new DirectConsoleLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
        _reload?.Dispose();
        _jsonReload?.Dispose();
        BufferedConsoleOutput.Flush();
    }

    private void Apply(ConsoleLoggerOptions options)
    {
        var name = options.FormatterName ?? ConsoleFormatterNames.Simple;
        Formatter = _formatters.TryGetValue(name, out var formatter) ? formatter : _formatters[ConsoleFormatterNames.Simple];
        StandardErrorThreshold = options.LogToStandardErrorThreshold;
        _jsonFormat = Formatter.Name == ConsoleFormatterNames.Json;
    }
}
