using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;

namespace AblyAuthServer.Hosting.Logging;

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

        try
        {
            // The json format, once the buffer is installed, goes straight to UTF-8; other formats through their formatter.
            if (provider.JsonOptions is { } json && logLevel < provider.StandardErrorThreshold && BufferedConsoleOutput.Writer is { } output)
            {
                var line = JsonLogLine.Format(json, logLevel, category, eventId, state, exception, formatter, provider.Scopes);
                if (!line.IsEmpty)
                {
                    output.WriteUtf8(line);
                }

                return;
            }

            WriteFormatted(logLevel, eventId, state, exception, formatter);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stdout is gone (its reader went away): logging must never fail the request that logs.
        }
    }

    private void WriteFormatted<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
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
