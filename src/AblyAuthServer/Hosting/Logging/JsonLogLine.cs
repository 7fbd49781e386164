using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Console;

namespace AblyAuthServer.Hosting.Logging;

/// <summary>
/// One log event as a JSON line, encoded straight to UTF-8: the <c>json</c> console format with every field once.
/// The framework's <see cref="ConsoleFormatter"/> renders the message a second time into <c>State.Message</c>, writes
/// <c>{OriginalFormat}</c>, renders every scope to a <c>Message</c> string besides its fields, and goes through a string
/// before the bytes; on the token path, with its audit line per token, that was the largest cost after minting.
/// Same options (<see cref="JsonConsoleFormatterOptions"/>), same property names.
/// </summary>
internal static class JsonLogLine
{
    private const string OriginalFormat = "{OriginalFormat}";

    /// <summary>The timestamp format of the production configuration (appsettings.json).</summary>
    internal const string IsoMilliseconds = "yyyy-MM-ddTHH:mm:ss.fffZ";

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static JsonConsoleFormatterOptions? t_writerOwner;

    /// <summary>The line for this event, ending in a newline; empty, as the framework's formatter, when the message is null and there is no exception.</summary>
    public static ReadOnlySpan<byte> Format<TState>(
        JsonConsoleFormatterOptions options, LogLevel logLevel, string category, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter, IExternalScopeProvider? scopes)
    {
        var message = formatter(state, exception);
        if (message is null && exception is null)
        {
            return [];
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = WriterFor(options, buffer);

        writer.WriteStartObject();
        if (options.TimestampFormat is { } timestampFormat)
        {
            var now = options.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            Span<char> text = stackalloc char[64];
            if (TryFormatTimestamp(now, timestampFormat, text, out var written))
            {
                writer.WriteString("Timestamp", text[..written]);
            }
            else
            {
                writer.WriteString("Timestamp", now.ToString(timestampFormat, CultureInfo.InvariantCulture));
            }
        }

        writer.WriteNumber("EventId", eventId.Id);
        writer.WriteString("LogLevel", LevelName(logLevel));
        writer.WriteString("Category", category);
        writer.WriteString("Message", message);
        if (exception is not null)
        {
            writer.WriteString("Exception", exception.ToString());
        }

        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            writer.WriteStartObject("State");
            for (var i = 0; i < fields.Count; i++)
            {
                var field = fields[i];
                if (field.Key != OriginalFormat)
                {
                    WriteField(writer, field);
                }
            }

            writer.WriteEndObject();
        }
        else if (state is IReadOnlyCollection<KeyValuePair<string, object?>> collection)
        {
            writer.WriteStartObject("State");
            WriteFields(writer, collection);
            writer.WriteEndObject();
        }

        if (options.IncludeScopes && scopes is not null)
        {
            writer.WriteStartArray("Scopes");
            scopes.ForEachScope(static (scope, writer) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> fields)
                {
                    writer.WriteStartObject();
                    WriteFields(writer, fields);
                    writer.WriteEndObject();
                }
                else if (scope is not null)
                {
                    writer.WriteStringValue(Convert.ToString(scope, CultureInfo.InvariantCulture));
                }
            }, writer);
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.Flush();
        buffer.Write("\n"u8);
        var line = buffer.WrittenSpan;
        if (buffer.Capacity > 64 * 1024)
        {
            // One huge event (an exception's stack) must not pin its buffer to this thread for good.
            t_buffer = null;
            t_writer = null;
        }

        return line;
    }

    /// <summary>
    /// <paramref name="now"/> in <paramref name="format"/>. The configured default, <see cref="IsoMilliseconds"/>, is the
    /// first 23 characters of the round-trip format (which has its own fast formatter) and a literal <c>Z</c>; a custom
    /// format string is interpreted field by field, several times slower, for every line.
    /// </summary>
    internal static bool TryFormatTimestamp(DateTimeOffset now, string format, Span<char> destination, out int written)
    {
        if (format == IsoMilliseconds && destination.Length >= 33 && now.DateTime.TryFormat(destination, out var roundTrip, "O", CultureInfo.InvariantCulture) && roundTrip >= 23)
        {
            destination[23] = 'Z';
            written = 24;
            return true;
        }

        return now.TryFormat(destination, out written, format, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The thread's writer, made again only when the options object changes (a configuration reload makes a new one).
    /// Comparing the options object rather than its <see cref="JsonWriterOptions"/> keeps the struct from being boxed
    /// and compared field by field on every line.
    /// </summary>
    private static Utf8JsonWriter WriterFor(JsonConsoleFormatterOptions options, ArrayBufferWriter<byte> buffer)
    {
        if (t_writer is { } writer && ReferenceEquals(t_writerOwner, options))
        {
            writer.Reset(buffer);
            return writer;
        }

        t_writerOwner = options;
        return t_writer = new Utf8JsonWriter(buffer, options.JsonWriterOptions);
    }

    /// <summary>Every field but <c>{OriginalFormat}</c> (the message template, which <c>Message</c> already renders).</summary>
    private static void WriteFields(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, object?>> fields)
    {
        foreach (var field in fields)
        {
            if (field.Key != OriginalFormat)
            {
                WriteField(writer, field);
            }
        }
    }

    private static void WriteField(Utf8JsonWriter writer, KeyValuePair<string, object?> field)
    {
        switch (field.Value)
        {
            case null:
                writer.WriteNull(field.Key);
                break;
            case string text:
                writer.WriteString(field.Key, text);
                break;
            case bool flag:
                writer.WriteBoolean(field.Key, flag);
                break;
            case int number:
                writer.WriteNumber(field.Key, number);
                break;
            case long number:
                writer.WriteNumber(field.Key, number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumber(field.Key, number);
                break;
            case float number when float.IsFinite(number):
                writer.WriteNumber(field.Key, number);
                break;
            case decimal number:
                writer.WriteNumber(field.Key, number);
                break;
            case short or ushort or uint or byte or sbyte:
                writer.WriteNumber(field.Key, Convert.ToInt64(field.Value, CultureInfo.InvariantCulture));
                break;
            case ulong number:
                writer.WriteNumber(field.Key, number);
                break;
            case ISpanFormattable formattable:
                Span<char> formatted = stackalloc char[128];
                if (formattable.TryFormat(formatted, out var written, default, CultureInfo.InvariantCulture))
                {
                    writer.WriteString(field.Key, formatted[..written]);
                }
                else
                {
                    writer.WriteString(field.Key, formattable.ToString(null, CultureInfo.InvariantCulture));
                }

                break;
            default:
                writer.WriteString(field.Key, Convert.ToString(field.Value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => level.ToString(),
    };
}
