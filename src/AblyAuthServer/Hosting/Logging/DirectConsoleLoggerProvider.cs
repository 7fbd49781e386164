using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting.Logging;

/// <summary>
/// Formats each log entry with the framework's configured <see cref="ConsoleFormatter"/> (<c>json</c>, <c>simple</c>,
/// <c>systemd</c>) on the calling thread and appends it to standard output, which <see cref="BufferedConsoleOutput"/>
/// buffers and flushes every 100 ms. The framework's <see cref="ConsoleLoggerProvider"/> instead queues every line to a
/// writer thread and wakes that thread for it, a cross-thread handoff for every issued token's audit line, which
/// the benchmark showed as a large share of the token path. Same output, same settings, same alias
/// (<c>Logging:Console:*</c>); a line is lost only if the process dies within 100 ms of writing it.
/// </summary>
[ProviderAlias("Console")]
internal sealed class DirectConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly Dictionary<string, ConsoleFormatter> _formatters;
    private readonly IDisposable? _reload;
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public DirectConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters)
    {
        _formatters = formatters.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        Apply(options.CurrentValue);
        _reload = options.OnChange(Apply);
    }

    internal ConsoleFormatter Formatter { get; private set; } = null!;

    internal LogLevel StandardErrorThreshold { get; private set; }

    internal IExternalScopeProvider Scopes => _scopes;

    public ILogger CreateLogger(string categoryName) => new DirectConsoleLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
        _reload?.Dispose();
        BufferedConsoleOutput.Flush();
    }

    private void Apply(ConsoleLoggerOptions options)
    {
        var name = options.FormatterName ?? ConsoleFormatterNames.Simple;
        Formatter = _formatters.TryGetValue(name, out var formatter) ? formatter : _formatters[ConsoleFormatterNames.Simple];
        StandardErrorThreshold = options.LogToStandardErrorThreshold;
    }
}
