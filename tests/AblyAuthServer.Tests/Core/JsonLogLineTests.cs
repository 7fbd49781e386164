using System.Text;
using System.Text.Json;
using AblyAuthServer.Hosting.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.Core;

/// <summary>
/// The server's JSON log line keeps the framework's json console format (same property names, same values) with each
/// field once: no <c>State.Message</c>, no <c>{OriginalFormat}</c>, no rendered <c>Message</c> per scope.
/// </summary>
public sealed class JsonLogLineTests
{
    private static readonly JsonConsoleFormatterOptions Options = new()
    {
        IncludeScopes = true,
        TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ",
        UseUtcTimestamp = true,
    };

    [Fact]
    public void An_Event_With_Fields_And_Scopes_Has_The_Frameworks_Properties_With_Each_Field_Once()
    {
        var (ours, framework) = BothLines(LogLevel.Information, new EventId(1000), null);

        foreach (var name in new[] { "EventId", "LogLevel", "Category", "Message" })
        {
            Assert.Equal(framework.GetProperty(name).ToString(), ours.GetProperty(name).ToString());
        }

        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", ours.GetProperty("Timestamp").GetString());
        Assert.Equal("Issued jwt to alice: ttl 3600000 ms, capability {\"chat:*\":[\"subscribe\"]}", ours.GetProperty("Message").GetString());
        var state = ours.GetProperty("State");
        Assert.Equal(["UserName", "TtlMs", "Capability"], state.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3600000, state.GetProperty("TtlMs").GetInt64());
        Assert.Equal(JsonValueKind.Number, state.GetProperty("TtlMs").ValueKind);
        Assert.Equal(framework.GetProperty("State").GetProperty("Capability").GetString(), state.GetProperty("Capability").GetString());
        Assert.True(framework.GetProperty("State").TryGetProperty("Message", out _), "the framework repeats the message in State");

        var scopes = ours.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Equal(2, scopes.Count);
        Assert.Equal("0HNQ:00000001", scopes[0].GetProperty("RequestId").GetString());
        Assert.Equal("/ably/token", scopes[0].GetProperty("RequestPath").GetString());
        Assert.False(scopes[0].TryGetProperty("Message", out _));
        Assert.Equal("a plain scope", scopes[1].GetString());
        Assert.Equal(
            framework.GetProperty("Scopes")[0].GetProperty("RequestId").GetString(),
            scopes[0].GetProperty("RequestId").GetString());
    }

    [Fact]
    public void An_Exception_Is_Written_As_Its_Text_And_The_Line_Ends_In_One_Newline()
    {
        var (ours, framework) = BothLines(LogLevel.Warning, new EventId(7, "Named"), new InvalidOperationException("it broke"));

        Assert.Equal("Warning", ours.GetProperty("LogLevel").GetString());
        Assert.Equal(7, ours.GetProperty("EventId").GetInt32());
        Assert.Equal(framework.GetProperty("Exception").GetString(), ours.GetProperty("Exception").GetString());
        Assert.Contains("it broke", ours.GetProperty("Exception").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_Event_Whose_Message_Is_Null_Without_An_Exception_Writes_Nothing_And_An_Empty_Message_Is_Still_Written()
    {
        var none = JsonLogLine.Format(Options, LogLevel.Information, "c", default, "state", null, (_, _) => null!, null).ToArray();
        var empty = Encoding.UTF8.GetString(JsonLogLine.Format(Options, LogLevel.Information, "c", default, "state", null, (_, _) => string.Empty, null));

        Assert.Empty(none);
        Assert.Equal(string.Empty, JsonDocument.Parse(empty).RootElement.GetProperty("Message").GetString());
    }

    [Fact]
    public void Numbers_Of_Every_Kind_Are_Json_Numbers_And_Other_Values_Are_Strings()
    {
        var fields = new Dictionary<string, object?> { ["F"] = 1.5f, ["D"] = 2.25, ["S"] = (short)3, ["B"] = true, ["N"] = null, ["G"] = Guid.Empty };
        var state = new LogValues("values", fields);

        var line = Encoding.UTF8.GetString(JsonLogLine.Format(Options, LogLevel.Information, "c", default, state, null, LogValues.Render, null));

        var written = JsonDocument.Parse(line).RootElement.GetProperty("State");
        Assert.Equal(1.5, written.GetProperty("F").GetDouble());
        Assert.Equal(2.25, written.GetProperty("D").GetDouble());
        Assert.Equal(3, written.GetProperty("S").GetInt32());
        Assert.True(written.GetProperty("B").GetBoolean());
        Assert.Equal(JsonValueKind.Null, written.GetProperty("N").ValueKind);
        Assert.Equal(Guid.Empty.ToString(), written.GetProperty("G").GetString());
    }

    [Theory]
    [InlineData("2026-12-07T16:40:05.0000000+00:00")]
    [InlineData("2026-01-31T23:59:59.9999999+00:00")]
    [InlineData("2026-06-15T08:07:06.0420000+02:00")]
    [InlineData("0001-01-01T00:00:00.0010000+00:00")]
    public void The_Default_Timestamp_Format_Is_Written_As_The_Format_String_Would_Write_It(string instant)
    {
        var now = DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);
        Span<char> text = stackalloc char[64];

        Assert.True(JsonLogLine.TryFormatTimestamp(now, JsonLogLine.IsoMilliseconds, text, out var written));

        Assert.Equal(now.ToString(JsonLogLine.IsoMilliseconds, System.Globalization.CultureInfo.InvariantCulture), text[..written].ToString());
    }

    private static (JsonElement Ours, JsonElement Framework) BothLines(LogLevel level, EventId eventId, Exception? exception)
    {
        var scopes = new LoggerExternalScopeProvider();
        var values = new Dictionary<string, object?> { ["UserName"] = "alice", ["TtlMs"] = 3600000L, ["Capability"] = """{"chat:*":["subscribe"]}""" };
        var state = new LogValues("Issued jwt to {UserName}: ttl {TtlMs} ms, capability {Capability}", values);
        using var request = scopes.Push(new LogValues("Request {RequestId} {RequestPath}", new Dictionary<string, object?> { ["RequestId"] = "0HNQ:00000001", ["RequestPath"] = "/ably/token" }));
        using var plain = scopes.Push("a plain scope");

        var ours = Encoding.UTF8.GetString(JsonLogLine.Format(Options, level, "AblyAuthServer.Tokens.TokenAudit", eventId, state, exception, LogValues.Render, scopes));
        Assert.EndsWith("}\n", ours, StringComparison.Ordinal);
        Assert.Single(ours.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var formatter = FrameworkFormatter(Options);
        using var writer = new StringWriter();
        formatter.Write(new LogEntry<LogValues>(level, "AblyAuthServer.Tokens.TokenAudit", eventId, state, exception, LogValues.Render), scopes, writer);

        return (JsonDocument.Parse(ours).RootElement.Clone(), JsonDocument.Parse(writer.ToString()).RootElement.Clone());
    }

    /// <summary>The framework's json formatter is internal; this builds it the way the console logger does.</summary>
    private static ConsoleFormatter FrameworkFormatter(JsonConsoleFormatterOptions options)
    {
        var type = typeof(ConsoleFormatter).Assembly.GetType("Microsoft.Extensions.Logging.Console.JsonConsoleFormatter", throwOnError: true)!;
        return (ConsoleFormatter)Activator.CreateInstance(type, new FixedMonitor(options))!;
    }

    private sealed class FixedMonitor(JsonConsoleFormatterOptions value) : IOptionsMonitor<JsonConsoleFormatterOptions>
    {
        public JsonConsoleFormatterOptions CurrentValue => value;

        public JsonConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<JsonConsoleFormatterOptions, string?> listener) => null;
    }

    /// <summary>State shaped as the logging source generator and LoggerMessage make it: fields, then {OriginalFormat}.</summary>
    private sealed class LogValues(string format, IReadOnlyDictionary<string, object?> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _fields = [.. values, new("{OriginalFormat}", format)];

        public int Count => _fields.Length;

        public KeyValuePair<string, object?> this[int index] => _fields[index];

        public static string Render(LogValues state, Exception? exception)
        {
            var text = new StringBuilder(state._fields[^1].Value as string);
            foreach (var (key, value) in state._fields[..^1])
            {
                text.Replace("{" + key + "}", Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
            }

            return text.ToString();
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
