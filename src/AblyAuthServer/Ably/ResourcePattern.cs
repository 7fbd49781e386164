namespace AblyAuthServer.Ably;

/// <summary>
/// A capability resource: an optional qualifier (<c>[*]</c>, <c>[queue]</c>, <c>[meta]</c>) and a channel name
/// whose <c>:</c>-separated segments may be <c>*</c>. A <c>*</c> segment matches exactly one segment, except in
/// last place, where it matches one or more; <c>foo*</c> is the literal channel <c>foo*</c>.
/// </summary>
public sealed record ResourcePattern
{
    private const string AnyQualifier = "*";
    private static readonly HashSet<string> Qualifiers = new(StringComparer.Ordinal) { AnyQualifier, "queue", "meta" };

    private ResourcePattern(string? qualifier, string[] segments)
    {
        Qualifier = qualifier;
        Segments = segments;
        Text = (qualifier is null ? string.Empty : $"[{qualifier}]") + string.Join(':', segments);
    }

    /// <summary>The qualifier without brackets, or null for a plain channel pattern.</summary>
    public string? Qualifier { get; }

    /// <summary>The name's segments.</summary>
    public IReadOnlyList<string> Segments { get; }

    /// <summary>The pattern as Ably writes it.</summary>
    public string Text { get; }

    /// <summary>Parses a resource; the error says what is wrong without echoing more than the pattern.</summary>
    public static bool TryParse(string? text, out ResourcePattern? pattern, out string error)
    {
        pattern = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "a resource pattern is empty";
            return false;
        }

        if (text.Any(c => c is '\n' or '\r'))
        {
            error = "a resource pattern contains a newline";
            return false;
        }

        string? qualifier = null;
        var name = text;
        if (text[0] == '[')
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"resource '{text}' has an unclosed '['";
                return false;
            }

            qualifier = text[1..close];
            if (!Qualifiers.Contains(qualifier))
            {
                error = $"resource '{text}' has an unsupported qualifier: only [*], [queue] and [meta] are accepted";
                return false;
            }

            name = text[(close + 1)..];
        }

        if (name.Length == 0 || name[0] == ':' || name[0] == '[')
        {
            error = $"resource '{text}' has an empty or invalid channel name";
            return false;
        }

        var segments = name.Split(':');
        if (segments.Length > 1 && segments[^1].Length == 0)
        {
            error = $"resource '{text}' ends with ':'";
            return false;
        }

        pattern = new ResourcePattern(qualifier, segments);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// The resources matched by both patterns, as one pattern, or null when they share none.
    /// </summary>
    public ResourcePattern? Intersect(ResourcePattern other)
    {
        string? qualifier;
        if (Qualifier == other.Qualifier)
        {
            qualifier = Qualifier;
        }
        else if (Qualifier == AnyQualifier)
        {
            qualifier = other.Qualifier;
        }
        else if (other.Qualifier == AnyQualifier)
        {
            qualifier = Qualifier;
        }
        else
        {
            return null;
        }

        var segments = IntersectSegments(Segments, other.Segments);
        return segments is null ? null : new ResourcePattern(qualifier, segments);
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static string[]? IntersectSegments(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var result = new List<string>(Math.Max(a.Count, b.Count));
        for (var i = 0; ; i++)
        {
            var aDone = i >= a.Count;
            var bDone = i >= b.Count;
            if (aDone && bDone)
            {
                return [.. result];
            }

            if (aDone || bDone)
            {
                return null;
            }

            var aTail = i == a.Count - 1 && a[i] == "*";
            var bTail = i == b.Count - 1 && b[i] == "*";
            if (aTail)
            {
                result.AddRange(b.Skip(i));
                return [.. result];
            }

            if (bTail)
            {
                result.AddRange(a.Skip(i));
                return [.. result];
            }

            if (a[i] == "*")
            {
                result.Add(b[i]);
            }
            else if (b[i] == "*" || a[i] == b[i])
            {
                result.Add(a[i]);
            }
            else
            {
                return null;
            }
        }
    }
}
