using System.Collections.Concurrent;
using AblyAuthServer.Ably;

namespace AblyAuthServer.Policies;

/// <summary>Validated role policies: which capability a set of roles allows, with <c>{clientId}</c> filled in.</summary>
public sealed class PolicySet
{
    public const string ClientIdPlaceholder = "{clientId}";

    /// <summary>What the expansion cache may hold, in estimated bytes: clientIds can be chosen by callers whose roles allow any.</summary>
    public const long CacheBytesLimit = 8L * 1024 * 1024;
    private readonly Dictionary<string, RolePolicy> _roles;
    private readonly ConcurrentDictionary<(string Roles, string ClientId), Capability> _expanded = new();
    private long _expandedBytes;

    private PolicySet(Dictionary<string, RolePolicy> roles) => _roles = roles;

    /// <summary>The configured role names.</summary>
    public IReadOnlyCollection<string> RoleNames => _roles.Keys;

    /// <summary>Validates every role and entry; each error names the role and entry index.</summary>
    public static PolicySet Create(PoliciesOptions options, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var roles = new Dictionary<string, RolePolicy>(StringComparer.OrdinalIgnoreCase);
        foreach (var (role, policy) in options.Roles)
        {
            var grants = new List<(string Channel, string[] Operations)>();
            for (var i = 0; i < policy.Capabilities.Count; i++)
            {
                var entry = policy.Capabilities[i];
                var where = $"{PoliciesOptions.SectionName}:Roles:{role}:Capabilities:{i}";
                if (string.IsNullOrWhiteSpace(entry.Channel))
                {
                    problems.Add($"{where}:Channel is empty");
                    continue;
                }

                // A template is checked with a harmless clientId; real clientIds are checked by ClientIds.IsSafe.
                var probe = new Capability.Builder();
                if (!probe.TryAdd(entry.Channel.Replace(ClientIdPlaceholder, "x", StringComparison.Ordinal), entry.Operations, out var error))
                {
                    problems.Add($"{where}: {error}");
                    continue;
                }

                grants.Add((entry.Channel, [.. entry.Operations]));
            }

            roles[role] = new RolePolicy(grants, policy.AllowAnyClientId);
        }

        errors = problems;
        return new PolicySet(roles);
    }

    /// <summary>True when <paramref name="role"/> is configured.</summary>
    public bool IsKnownRole(string role) => _roles.ContainsKey(role);

    /// <summary>True when any of <paramref name="roles"/> may ask for any clientId.</summary>
    public bool AllowsAnyClientId(IEnumerable<string> roles) =>
        roles.Any(r => _roles.TryGetValue(r, out var policy) && policy.AllowAnyClientId);

    /// <summary>
    /// The union of what <paramref name="roles"/> allow, with <c>{clientId}</c> replaced by <paramref name="clientId"/>,
    /// which must be safe (see <see cref="ClientIds.IsSafe"/>). Unknown roles contribute nothing.
    /// </summary>
    public Capability Allowed(IEnumerable<string> roles, string clientId)
    {
        var builder = new Capability.Builder();
        foreach (var role in roles)
        {
            if (!_roles.TryGetValue(role, out var policy))
            {
                continue;
            }

            foreach (var (channel, operations) in policy.Grants)
            {
                var resource = channel.Contains(ClientIdPlaceholder, StringComparison.Ordinal)
                    ? channel.Replace(ClientIdPlaceholder, clientId, StringComparison.Ordinal)
                    : channel;
                if (!builder.TryAdd(resource, operations, out _))
                {
                    throw new InvalidOperationException("A validated policy failed to expand; the clientId was not checked.");
                }
            }
        }

        return builder.Build();
    }

    /// <summary>
    /// <see cref="Allowed"/>, remembered per role set and clientId: policies do not change while the process runs,
    /// and a remembered capability also keeps its canonical JSON, so a token refresh expands nothing.
    /// </summary>
    public Capability AllowedCached(IReadOnlyList<string> roles, string clientId)
    {
        // Length-prefixed, so no two role lists share a key whatever characters role names contain.
        var key = (string.Concat(roles.Select(role => $"{role.Length}:{role}")), clientId);
        if (_expanded.TryGetValue(key, out var capability))
        {
            return capability;
        }

        capability = Allowed(roles, clientId);
        var bytes = 256 + (2L * (key.Item1.Length + clientId.Length + capability.ToJson().Length));
        if (Interlocked.Add(ref _expandedBytes, bytes) > CacheBytesLimit)
        {
            _expanded.Clear();
            Interlocked.Exchange(ref _expandedBytes, bytes);
        }

        return _expanded.GetOrAdd(key, capability);
    }

    private sealed record RolePolicy(List<(string Channel, string[] Operations)> Grants, bool AllowAnyClientId);
}
