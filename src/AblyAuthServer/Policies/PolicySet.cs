using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using AblyAuthServer.Ably;

namespace AblyAuthServer.Policies;

/// <summary>Validated role policies: which capability a set of roles allows, with <c>{clientId}</c> filled in.</summary>
public sealed partial class PolicySet
{
    public const string ClientIdPlaceholder = "{clientId}";

    /// <summary>What the expansion cache may hold, in estimated bytes: clientIds can be chosen by callers whose roles allow any.</summary>
    public const long CacheBytesLimit = 8L * 1024 * 1024;
    private readonly Dictionary<string, RolePolicy> _roles;
    private readonly ConcurrentDictionary<(string Roles, string ClientId), Capability> _expanded = new();
    private long _expandedBytes;

    private readonly bool _hasClaims;

    /// <summary>True when some role gives channel claims, publish limits or the server client type.</summary>
    public bool HasClaims => _hasClaims;

    private PolicySet(Dictionary<string, RolePolicy> roles)
    {
        _roles = roles;
        _hasClaims = roles.Values.Any(role => role.ChannelClaims.Count > 0 || role.PublishRateLimits.Count > 0 || role.IsServer);
    }

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

            var claims = ClaimTemplates(role, policy, problems);
            roles[role] = new RolePolicy(grants, policy.AllowAnyClientId, claims.Channels, claims.Limits, claims.IsServer);
        }

        errors = problems;
        return new PolicySet(roles);
    }

    /// <summary>The placeholders a channel claim's value may use.</summary>
    public static IReadOnlyList<string> ClaimPlaceholders { get; } = [ClientIdPlaceholder, "{userName}", "{displayName}", "{roles}"];

    private static (List<(string Channel, string Value)> Channels, List<(string Channel, double MaxRate)> Limits, bool IsServer) ClaimTemplates(
        string role, RolePolicyOptions policy, List<string> problems)
    {
        var prefix = $"{PoliciesOptions.SectionName}:Roles:{role}";
        var channels = new List<(string Channel, string Value)>();
        for (var i = 0; i < policy.ChannelClaims.Count; i++)
        {
            var entry = policy.ChannelClaims[i];
            var where = $"{prefix}:ChannelClaims:{i}";
            if (CheckChannel(entry.Channel, where, problems) && CheckClaimValue(entry.Value, where, problems))
            {
                channels.Add((entry.Channel!, entry.Value!));
            }
        }

        var limits = new List<(string Channel, double MaxRate)>();
        for (var i = 0; i < policy.PublishRateLimits.Count; i++)
        {
            var entry = policy.PublishRateLimits[i];
            var where = $"{prefix}:PublishRateLimits:{i}";
            if (entry.MaxRate is not { } rate || !double.IsFinite(rate) || rate <= 0)
            {
                problems.Add($"{where}:MaxRate must be a number of messages per second above 0 (fractions allowed, e.g. 0.1)");
            }
            else if (CheckChannel(entry.Channel, where, problems))
            {
                limits.Add((entry.Channel!, rate));
            }
        }

        var isServer = false;
        if (policy.ClientType is { } clientType)
        {
            isServer = string.Equals(clientType, RolePolicyOptions.ServerClientType, StringComparison.OrdinalIgnoreCase);
            if (!isServer)
            {
                problems.Add($"{prefix}:ClientType must be 'server' or unset");
            }
        }

        return (channels, limits, isServer);
    }

    private static bool CheckChannel(string? channel, string where, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(channel))
        {
            problems.Add($"{where}:Channel is empty");
            return false;
        }

        if (!ResourcePattern.TryParse(channel.Replace(ClientIdPlaceholder, "x", StringComparison.Ordinal), out _, out var error))
        {
            problems.Add($"{where}:Channel: {error}");
            return false;
        }

        return true;
    }

    private static bool CheckClaimValue(string? value, string where, List<string> problems)
    {
        if (value is null)
        {
            problems.Add($"{where}:Value is missing");
            return false;
        }

        if (PlaceholderPattern().Matches(value).FirstOrDefault(p => !ClaimPlaceholders.Contains(p.Value)) is { } unknown)
        {
            problems.Add($"{where}:Value has the unknown placeholder {unknown.Value}; use {string.Join(", ", ClaimPlaceholders)}");
            return false;
        }

        // A value written as JSON must stay JSON whatever the placeholders become (each is escaped for a JSON string).
        var probe = new ClaimValues("a\"b", "a\"b", "a\"b", ["a\"b"]).Fill(value);
        if (probe.TrimStart() is ['{', ..] or ['[', ..])
        {
            try
            {
                using var _ = JsonDocument.Parse(probe);
            }
            catch (JsonException)
            {
                problems.Add($"{where}:Value starts like JSON but is not valid JSON (placeholders go inside JSON strings, e.g. \"name\":\"{{displayName}}\")");
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"\{[A-Za-z][A-Za-z0-9]*\}")]
    internal static partial Regex PlaceholderPattern();

    /// <summary>
    /// The JWT-only claims <paramref name="roles"/> give: channel claims with their values filled from
    /// <paramref name="values"/> (each escaped for a JSON string), publish limits, and the server client type. Channels
    /// expand <c>{clientId}</c> with <paramref name="channelClientId"/>, like capabilities. Roles are taken in ordinal
    /// order: the first role with a claim for a resource gives it; the lowest limit for a resource applies.
    /// </summary>
    public TokenClaims ClaimsFor(IReadOnlyList<string> roles, string channelClientId, ClaimValues values)
    {
        if (!_hasClaims)
        {
            return TokenClaims.None;
        }

        var channelClaims = new List<KeyValuePair<string, string>>();
        var limits = new Dictionary<string, double>(StringComparer.Ordinal);
        var isServer = false;
        foreach (var role in roles.Order(StringComparer.Ordinal))
        {
            if (!_roles.TryGetValue(role, out var policy))
            {
                continue;
            }

            isServer |= policy.IsServer;
            foreach (var (channel, template) in policy.ChannelClaims)
            {
                var resource = Expand(channel, channelClientId);
                if (!channelClaims.Exists(claim => claim.Key == resource))
                {
                    channelClaims.Add(new(resource, values.Fill(template)));
                }
            }

            foreach (var (channel, rate) in policy.PublishRateLimits)
            {
                var resource = Expand(channel, channelClientId);
                limits[resource] = limits.TryGetValue(resource, out var existing) ? Math.Min(existing, rate) : rate;
            }
        }

        return channelClaims.Count == 0 && limits.Count == 0 && !isServer
            ? TokenClaims.None
            : new TokenClaims(channelClaims, [.. limits.OrderBy(l => l.Key, StringComparer.Ordinal)], isServer);
    }

    private static string Expand(string channel, string clientId) =>
        channel.Contains(ClientIdPlaceholder, StringComparison.Ordinal) ? channel.Replace(ClientIdPlaceholder, clientId, StringComparison.Ordinal) : channel;

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

    private sealed record RolePolicy(
        List<(string Channel, string[] Operations)> Grants,
        bool AllowAnyClientId,
        List<(string Channel, string Value)> ChannelClaims,
        List<(string Channel, double MaxRate)> PublishRateLimits,
        bool IsServer);
}
