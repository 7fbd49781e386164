using System.Text;
using System.Text.Json;

namespace AblyAuthServer.Ably;

/// <summary>
/// An Ably capability: resource pattern → operations. Immutable; <see cref="ToJson"/> is the canonical form
/// ably-js signs (keys and operations sorted ordinally, no whitespace, <c>JSON.stringify</c> escaping).
/// </summary>
public sealed class Capability
{
    private readonly SortedDictionary<string, SortedSet<string>> _grants;
    private readonly Dictionary<string, ResourcePattern> _patterns;
    private string? _json;

    private Capability(SortedDictionary<string, SortedSet<string>> grants, Dictionary<string, ResourcePattern> patterns)
    {
        _grants = grants;
        _patterns = patterns;
    }

    /// <summary>The capability that allows nothing.</summary>
    public static Capability Empty { get; } = new Builder().Build();

    /// <summary>True when no resource is granted.</summary>
    public bool IsEmpty => _grants.Count == 0;

    /// <summary>Resources and their sorted operations, in canonical order.</summary>
    public IEnumerable<KeyValuePair<string, IReadOnlyCollection<string>>> Grants =>
        _grants.Select(g => new KeyValuePair<string, IReadOnlyCollection<string>>(g.Key, g.Value));

    /// <summary>Parses a capability JSON object as the SDKs send it (resource → array of operations).</summary>
    public static bool TryParse(string? json, out Capability? capability, out string error)
    {
        try
        {
            return TryParseObject(json, out capability, out error);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json parses "\ud800" but throws when the string is read, so report it here instead.
            capability = null;
            error = "capability contains an unpaired UTF-16 surrogate escape";
            return false;
        }
    }

    private static bool TryParseObject(string? json, out Capability? capability, out string error)
    {
        capability = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            error = "capability is empty";
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException)
        {
            error = "capability is not valid JSON";
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "capability must be a JSON object of resource → array of operations";
                return false;
            }

            var builder = new Builder();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    error = $"capability resource '{property.Name}' must map to an array of operations";
                    return false;
                }

                var operations = new List<string>();
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        error = $"capability resource '{property.Name}' has an operation that is not a string";
                        return false;
                    }

                    operations.Add(item.GetString()!);
                }

                if (!builder.TryAdd(property.Name, operations, out error))
                {
                    return false;
                }
            }

            if (builder.IsEmpty)
            {
                error = "capability grants no resource";
                return false;
            }

            capability = builder.Build();
            error = string.Empty;
            return true;
        }
    }

    /// <summary>
    /// What both capabilities allow: each requested resource is narrowed to the allowed patterns it meets,
    /// and its operations to the allowed ones (<c>*</c> on either side stands for every operation).
    /// </summary>
    public Capability Intersect(Capability requested)
    {
        var builder = new Builder();
        foreach (var (allowedResource, allowedOps) in _grants)
        {
            var allowedPattern = _patterns[allowedResource];
            foreach (var (requestedResource, requestedOps) in requested._grants)
            {
                var resource = allowedPattern.Intersect(requested._patterns[requestedResource]);
                if (resource is null)
                {
                    continue;
                }

                var operations = IntersectOperations(allowedOps, requestedOps);
                if (operations.Count > 0)
                {
                    builder.Add(resource, operations);
                }
            }
        }

        return builder.Build();
    }

    /// <summary>The canonical JSON text, as carried in <c>x-ably-capability</c> and TokenRequest <c>capability</c>.</summary>
    public string ToJson() => _json ??= Serialize();

    /// <inheritdoc />
    public override string ToString() => ToJson();

    private static SortedSet<string> IntersectOperations(SortedSet<string> allowed, SortedSet<string> requested)
    {
        if (allowed.Contains(CapabilityOperations.All))
        {
            return requested;
        }

        if (requested.Contains(CapabilityOperations.All))
        {
            return allowed;
        }

        var result = new SortedSet<string>(allowed, StringComparer.Ordinal);
        result.IntersectWith(requested);
        return result;
    }

    private string Serialize()
    {
        var json = new StringBuilder("{");
        foreach (var (resource, operations) in _grants)
        {
            if (json.Length > 1)
            {
                json.Append(',');
            }

            JsonText.AppendString(json, resource);
            json.Append(":[");
            var first = true;
            foreach (var operation in operations)
            {
                if (!first)
                {
                    json.Append(',');
                }

                JsonText.AppendString(json, operation);
                first = false;
            }

            json.Append(']');
        }

        return json.Append('}').ToString();
    }

    /// <summary>Collects grants, merging operations per resource; <c>*</c> absorbs every other operation.</summary>
    public sealed class Builder
    {
        private readonly SortedDictionary<string, SortedSet<string>> _grants = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ResourcePattern> _patterns = new(StringComparer.Ordinal);

        /// <summary>True when nothing has been added.</summary>
        public bool IsEmpty => _grants.Count == 0;

        /// <summary>Validates and adds one resource with its operations.</summary>
        public bool TryAdd(string resource, IEnumerable<string> operations, out string error)
        {
            if (!ResourcePattern.TryParse(resource, out var pattern, out error))
            {
                return false;
            }

            var ops = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var operation in operations)
            {
                if (!CapabilityOperations.IsKnown(operation))
                {
                    error = $"capability resource '{resource}' has an unknown operation '{operation}'";
                    return false;
                }

                ops.Add(operation);
            }

            if (ops.Count == 0)
            {
                error = $"capability resource '{resource}' has no operations";
                return false;
            }

            Add(pattern!, ops);
            return true;
        }

        /// <summary>Adds a parsed resource with validated operations.</summary>
        public void Add(ResourcePattern resource, IEnumerable<string> operations)
        {
            if (!_grants.TryGetValue(resource.Text, out var existing))
            {
                existing = new SortedSet<string>(StringComparer.Ordinal);
                _grants.Add(resource.Text, existing);
                _patterns.Add(resource.Text, resource);
            }

            existing.UnionWith(operations);
            if (existing.Contains(CapabilityOperations.All) && existing.Count > 1)
            {
                existing.Clear();
                existing.Add(CapabilityOperations.All);
            }
        }

        /// <summary>The capability built so far.</summary>
        public Capability Build() => new(
            new SortedDictionary<string, SortedSet<string>>(
                _grants.ToDictionary(g => g.Key, g => new SortedSet<string>(g.Value, StringComparer.Ordinal), StringComparer.Ordinal),
                StringComparer.Ordinal),
            new Dictionary<string, ResourcePattern>(_patterns, StringComparer.Ordinal));
    }
}
