using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// Records every log event the app writes, with everything a log sink could see: the formatted message, the
/// state's key/values, every scope's values and the exception.
/// </summary>
public sealed class LogRecorder : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, string?>> Values, string? Exception)
    {
        /// <summary>All the text of the event, as a sink would write it.</summary>
        public string AllText => string.Join("\n", [Category, Message, .. Values.Select(v => $"{v.Key}={v.Value}"), Exception ?? string.Empty]);
    }

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Recorder(LogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new List<KeyValuePair<string, string?>>();
            Collect("state", state, values);
            owner._scopes.ForEachScope((scope, list) => Collect("scope", scope, list), values);
            owner._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), values, exception?.ToString()));
        }

        private static void Collect(string prefix, object? item, List<KeyValuePair<string, string?>> values)
        {
            if (item is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                values.AddRange(pairs.Select(p => new KeyValuePair<string, string?>($"{prefix}.{p.Key}", Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture))));
            }

            values.Add(new KeyValuePair<string, string?>(prefix, item?.ToString()));
        }
    }
}
