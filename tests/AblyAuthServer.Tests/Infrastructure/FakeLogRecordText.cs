using Microsoft.Extensions.Logging.Testing;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>What a log sink could see of a recorded event, for tests that search every event for secrets.</summary>
public static class FakeLogRecordText
{
    /// <summary>The category, message, structured state, every scope's values and the exception, as one text.</summary>
    public static string AllText(this FakeLogRecord record)
    {
        var parts = new List<string?> { record.Category, record.Message };
        parts.AddRange(record.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? []);
        foreach (var scope in record.Scopes)
        {
            parts.Add(scope?.ToString());
            if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                parts.AddRange(pairs.Select(p => $"{p.Key}={p.Value}"));
            }
        }

        parts.Add(record.Exception?.ToString());
        return string.Join('\n', parts);
    }

    /// <summary>The value a scope of the event carries under <paramref name="key"/>, if any.</summary>
    public static bool HasScopeValue(this FakeLogRecord record, string key) =>
        record.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>().Any(pairs => pairs.Any(p => p.Key == key));
}
