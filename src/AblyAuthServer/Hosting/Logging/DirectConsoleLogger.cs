using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting.Logging;

public static class LoggingSetup
{
    /// <summary>
    /// Console logs as configured under <c>Logging:Console</c> (formatter, its options, levels), written by
    /// <see cref="DirectConsoleLoggerProvider"/> into <see cref="BufferedConsoleOutput"/> instead of through the framework
    /// console logger's queue. The framework's formatters and option bindings stay; only the provider is swapped.
    /// </summary>
    public static WebApplicationBuilder AddDirectConsoleLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.AddConsole();
        builder.Services.RemoveImplementation(typeof(ILoggerProvider), typeof(ConsoleLoggerProvider));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, DirectConsoleLoggerProvider>());
        return builder;
    }

    private static void RemoveImplementation(this IServiceCollection services, Type serviceType, Type implementationType)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == serviceType && services[i].ImplementationType == implementationType)
            {
                services.RemoveAt(i);
            }
        }
    }
}

/// <summary>
/// Formats each log entry with the framework's configured <see cref="ConsoleFormatter"/> (<c>json</c>, <c>simple</c>,
/// <c>systemd</c>) on the calling thread and appends it to standard output, which <see cref="BufferedConsoleOutput"/>
/// buffers and flushes every 100 ms. The framework's <see cref="ConsoleLoggerProvider"/> instead queues every line to a
/// writer thread and wakes that thread for it: with one audit line per issued token that handoff cost ~25 µs of CPU per
/// token on two cores, a third of the token path (bench/RESULTS.md). Same output, same settings, same alias
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

internal sealed class DirectConsoleLogger(string category, DirectConsoleLoggerProvider provider) : ILogger
{
    [ThreadStatic]
    private static StringWriter? t_line;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider.Scopes.Push(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = t_line ??= new StringWriter(CultureInfo.InvariantCulture);
        var text = line.GetStringBuilder();
        try
        {
            provider.Formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), provider.Scopes, line);
            if (text.Length > 0)
            {
                (logLevel >= provider.StandardErrorThreshold ? Console.Error : Console.Out).Write(text);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stdout is gone (its reader went away): logging must never fail the request that logs.
        }
        finally
        {
            text.Clear();
            if (text.Capacity > 16 * 1024)
            {
                text.Capacity = 4 * 1024;
            }
        }
    }
}
