using System.Text;
using AblyAuthServer.Policies;
using AblyAuthServer.Tests.Infrastructure;
using CsCheck;

namespace AblyAuthServer.Tests.Core;

/// <summary>
/// Generated role policies, callers and token requests: whatever <see cref="GrantResolver"/> grants must be allowed by
/// the caller's policy and by the request, checked on concrete channel names with an oracle written here from Ably's
/// pattern rules, not with the production matcher. Seeded (GRANT_SEED, GRANT_ITERATIONS) and replayable per case.
/// </summary>
public sealed class GrantPolicyPropertyTests
{
    private const string Own = "{clientId}";

    // The operations Ably defines, written out here rather than taken from CapabilityOperations, plus one it may add
    // later: a '*' grant covers that one too, so a '*' the policy did not give shows up as a widening.
    private static readonly string[] Operations =
    [
        "publish", "subscribe", "presence", "object-subscribe", "object-publish", "annotation-subscribe", "annotation-publish",
        "message-update-any", "message-update-own", "message-delete-any", "message-delete-own", "history", "stats",
        "channel-metadata", "push-subscribe", "push-admin", "privileged-headers",
    ];

    private static readonly string[] OperationUniverse = [.. Operations, "some-future-operation"];

    private static readonly string[] Words = ["chat", "a", "lobby", "x"];

    private static readonly string[] RoleNames = ["r0", "r1", "r2", "r3"];

    private static readonly string[] ClientIdsInUse = ["alice", "bob", "carol-1", "x"];

    [Fact]
    public void An_Issued_Capability_Is_Never_Wider_Than_The_Callers_Policy_Or_The_Request()
    {
        var property = new SeededProperty(nameof(An_Issued_Capability_Is_Never_Wider_Than_The_Callers_Policy_Or_The_Request),
            "GRANT_SEED", 20261123, "GRANT_ITERATIONS", 5000);
        var failures = new PropertyFailures(property);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var cases = 0;
        foreach (var (seed, scenario) in property.Cases(Scenarios))
        {
            cases++;
            var result = Check(scenario, out var problems);
            outcomes[result] = outcomes.GetValueOrDefault(result) + 1;
            foreach (var problem in problems)
            {
                failures.Add(problem.Group, seed, scenario.ToString().Length, () => scenario + "\n   " + problem.Detail);
            }
        }

        var summary = $"{cases} cases: " + string.Join(", ", outcomes.Select(o => $"{o.Key}×{o.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Assert.True(failures.IsEmpty, failures.IsEmpty ? null : failures.Report(cases, summary));

        // A generator that hardly ever gets a narrowed grant would prove little.
        Assert.True(outcomes.GetValueOrDefault("granted, narrowed") > cases / 10, summary);
    }

    // ---- the one call into GrantResolver, so a change of its signature is adapted here only ----

    private static GrantResult Resolve(PolicySet policies, Scenario scenario, AccountIdentity account) =>
        new GrantResolver(policies, scenario.DefaultTtl, scenario.MaxTtl).Resolve(account, scenario.Request, scenario.CredentialLeft);

    // ---- the property ----

    private sealed record Problem(string Group, string Detail);

    private static string Check(Scenario scenario, out List<Problem> problems)
    {
        problems = [];
        var options = new PoliciesOptions();
        foreach (var (role, policy) in scenario.Roles)
        {
            options.Roles[role] = policy;
        }

        var policies = PolicySet.Create(options, out var errors);
        if (errors.Count > 0)
        {
            problems.Add(new Problem("a valid generated policy is rejected", string.Join("; ", errors)));
            return "policy rejected";
        }

        var account = new AccountIdentity("user-1", "user", scenario.ClientId, scenario.CallerRoles);
        var result = Resolve(policies, scenario, account);
        if (result.Grant is not { } grant)
        {
            if ((result.Failure == GrantFailure.CredentialExpiring) != (scenario.CredentialLeft < TimeSpan.FromSeconds(1)))
            {
                problems.Add(new Problem("a credential with under a second left is not refused alone", $"{result.Failure}: {result.Detail}"));
            }

            return result.Failure.ToString();
        }

        var mayActAsAnyone = scenario.CallerRoles.Any(role => Policy(scenario, role)?.AllowAnyClientId == true);
        if (!mayActAsAnyone && grant.ClientId != scenario.ClientId)
        {
            problems.Add(new Problem("the clientId is not the caller's own, and no role allows any",
                $"granted clientId '{grant.ClientId}'"));
        }
        else if (mayActAsAnyone && grant.ClientId != scenario.ClientId && grant.ClientId != scenario.Request.ClientId)
        {
            problems.Add(new Problem("the clientId is neither the caller's own nor the one asked for", $"granted clientId '{grant.ClientId}'"));
        }

        if (grant.Ttl > scenario.MaxTtl || grant.Ttl < TimeSpan.FromSeconds(1))
        {
            problems.Add(new Problem("the TTL is outside [1 s, the configured maximum]", $"granted ttl {grant.Ttl}, maximum {scenario.MaxTtl}"));
        }

        if (grant.Ttl > scenario.CredentialLeft)
        {
            problems.Add(new Problem("the TTL outlives the caller's credential", $"granted ttl {grant.Ttl}, credential left {scenario.CredentialLeft}"));
        }

        var granted = grant.Capability.Grants.Select(g => (g.Key, (IReadOnlyCollection<string>)g.Value)).ToList();
        if (granted.Count == 0)
        {
            problems.Add(new Problem("an empty capability is granted", "no resources"));
        }

        // A wildcard token's templates name the account's own channels; any other clientId names its own.
        var expandWith = grant.ClientId == "*" ? scenario.ClientId : grant.ClientId;
        var allowed = scenario.CallerRoles
            .Select(role => Policy(scenario, role))
            .OfType<RolePolicyOptions>()
            .SelectMany(policy => policy.Capabilities)
            .Select(entry => (entry.Channel!.Replace(Own, expandWith, StringComparison.Ordinal), (IReadOnlyCollection<string>)entry.Operations))
            .ToList();
        var requested = scenario.RequestedCapability;

        var channels = scenario.Samples
            .Concat(granted.SelectMany(g => Instances(g.Key)))
            .Concat(allowed.SelectMany(g => Instances(g.Item1)))
            .Concat(requested?.SelectMany(g => Instances(g.Resource)) ?? [])
            .Distinct()
            .ToList();
        foreach (var channel in channels)
        {
            foreach (var operation in OperationUniverse)
            {
                if (!Allows(granted, channel, operation))
                {
                    continue;
                }

                if (!Allows(allowed, channel, operation))
                {
                    problems.Add(new Problem("the grant allows what the caller's policy does not",
                        $"'{operation}' on '{channel}': granted {grant.Capability.ToJson()} for clientId '{grant.ClientId}', policy allows {Show(allowed)}"));
                    return "granted";
                }

                if (requested is not null && !Allows(requested.Select(r => (r.Resource, (IReadOnlyCollection<string>)r.Operations)), channel, operation))
                {
                    problems.Add(new Problem("the grant allows what the request did not ask for",
                        $"'{operation}' on '{channel}': granted {grant.Capability.ToJson()}, asked for {scenario.Request.Capability}"));
                    return "granted";
                }
            }
        }

        return requested is null ? "granted, policy" : "granted, narrowed";
    }

    private static RolePolicyOptions? Policy(Scenario scenario, string role) =>
        scenario.Roles.FirstOrDefault(r => string.Equals(r.Role, role, StringComparison.OrdinalIgnoreCase)).Policy;

    private static string Show(IEnumerable<(string Resource, IReadOnlyCollection<string> Operations)> capability) =>
        "{" + string.Join(", ", capability.Select(g => $"{g.Resource}: [{string.Join(' ', g.Operations)}]")) + "}";

    // ---- the oracle: Ably's resource rules, written from the documentation ----

    /// <summary>A concrete resource: an optional qualifier (queue, meta) and a channel name's segments, no wildcards.</summary>
    private sealed record Channel(string? Qualifier, string[] Segments)
    {
        public override string ToString() => (Qualifier is null ? string.Empty : $"[{Qualifier}]") + string.Join(':', Segments);

        public bool Equals(Channel? other) => other is not null && ToString() == other.ToString();

        public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
    }

    /// <summary>True when one of <paramref name="capability"/>'s resources matches the channel with the operation or '*'.</summary>
    private static bool Allows(IEnumerable<(string Resource, IReadOnlyCollection<string> Operations)> capability, Channel channel, string operation) =>
        capability.Any(g => Matches(g.Resource, channel) && (g.Operations.Contains("*") || g.Operations.Contains(operation)));

    /// <summary>
    /// <c>[*]</c> matches any qualifier or none, another qualifier only itself, no qualifier only plain channels; a
    /// <c>*</c> segment matches exactly one segment, except in last place where it matches one or more; any other
    /// segment (<c>foo*</c> included) matches only itself.
    /// </summary>
    private static bool Matches(string pattern, Channel channel)
    {
        string? qualifier = null;
        var name = pattern;
        if (pattern.StartsWith('['))
        {
            var close = pattern.IndexOf(']', StringComparison.Ordinal);
            qualifier = pattern[1..close];
            name = pattern[(close + 1)..];
        }

        if (qualifier != "*" && qualifier != channel.Qualifier)
        {
            return false;
        }

        var segments = name.Split(':');
        for (var i = 0; i < segments.Length; i++)
        {
            if (i == segments.Length - 1 && segments[i] == "*")
            {
                return channel.Segments.Length >= segments.Length;
            }

            if (i >= channel.Segments.Length || (segments[i] != "*" && segments[i] != channel.Segments[i]))
            {
                return false;
            }
        }

        return channel.Segments.Length == segments.Length;
    }

    /// <summary>Concrete channels a pattern matches: each wildcard filled with a fresh word, a last one with one or two.</summary>
    private static IEnumerable<Channel> Instances(string pattern)
    {
        string? qualifier = null;
        var name = pattern;
        if (pattern.StartsWith('['))
        {
            var close = pattern.IndexOf(']', StringComparison.Ordinal);
            qualifier = pattern[1..close];
            name = pattern[(close + 1)..];
        }

        var segments = name.Split(':');
        var middle = segments.Select((s, i) => s == "*" && i < segments.Length - 1 ? "w" + i : s).ToArray();
        var names = segments[^1] == "*"
            ? new[] { middle[..^1].Append("zz").ToArray(), middle[..^1].Append("zz").Append("yy").ToArray() }
            : [middle];
        var qualifiers = qualifier == "*" ? new string?[] { null, "queue", "meta" } : [qualifier];
        return qualifiers.SelectMany(q => names.Select(n => new Channel(q, n)));
    }

    // ---- generators ----

    private sealed record Scenario(
        (string Role, RolePolicyOptions Policy)[] Roles,
        string ClientId,
        string[] CallerRoles,
        TokenParameters Request,
        (string Resource, string[] Operations)[]? RequestedCapability,
        TimeSpan DefaultTtl,
        TimeSpan MaxTtl,
        TimeSpan? CredentialLeft,
        Channel[] Samples)
    {
        public override string ToString()
        {
            var text = new StringBuilder("   policies: ");
            foreach (var (role, policy) in Roles)
            {
                text.Append(role).Append(policy.AllowAnyClientId ? " (any clientId)" : string.Empty).Append(" {")
                    .AppendJoin(", ", policy.Capabilities.Select(c => $"{c.Channel}: [{string.Join(' ', c.Operations)}]")).Append("}; ");
            }

            return text.Append("\n   caller: clientId ").Append(ClientId).Append(", roles [").AppendJoin(", ", CallerRoles)
                .Append("]\n   request: clientId ").Append(Request.ClientId ?? "(none)").Append(", capability ").Append(Request.Capability ?? "(none)")
                .Append(", ttl ").Append(Request.Ttl ?? "(none)")
                .Append("\n   ttl default ").Append(DefaultTtl).Append(", maximum ").Append(MaxTtl)
                .Append(", credential left ").Append(CredentialLeft?.ToString() ?? "(no end)").ToString();
        }
    }

    private static Gen<string> Segment { get; } = Gen.Frequency((6, Gen.OneOf(Words)), (2, Gen.Const("*")), (1, Gen.OneOf("foo*", "*x")));

    private static Gen<string> PolicySegment { get; } =
        Gen.Frequency((8, Segment), (2, Gen.Const(Own)), (1, Gen.OneOf("u-" + Own, Own + "-inbox")));

    private static Gen<string> Pattern(Gen<string> segment) =>
        from qualifier in Gen.Frequency((8, Gen.Const(string.Empty)), (1, Gen.OneOf("[*]", "[queue]", "[meta]")))
        from segments in segment.Array[1, 3]
        select qualifier + string.Join(':', segments);

    private static Gen<string[]> OperationList { get; } =
        Gen.Frequency((1, Gen.Const(new[] { "*" })), (5, Gen.OneOf(Operations).Array[1, 3]), (1, Gen.OneOf(Operations).Array[1, 2].Select(ops => ops.Append("*").ToArray())));

    private static Gen<RolePolicyOptions> RolePolicy { get; } =
        from entries in (from channel in Pattern(PolicySegment) from ops in OperationList select new ChannelGrantOptions { Channel = channel, Operations = [.. ops] }).Array[1, 3]
        from anyClientId in Gen.Frequency((6, Gen.Const(false)), (1, Gen.Const(true)))
        select new RolePolicyOptions { Capabilities = [.. entries], AllowAnyClientId = anyClientId };

    private static Gen<Channel> Sample { get; } =
        from qualifier in Gen.Frequency((6, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("queue", "meta")))
        from segments in Gen.Frequency((6, Gen.OneOf(Words)), (1, Gen.OneOf(ClientIdsInUse)), (1, Gen.OneOf("foo*", "*x", "u-alice", "bob-inbox"))).Array[1, 4]
        select new Channel(qualifier, segments);

    private static Gen<Scenario> Scenarios { get; } =
        from policies in RolePolicy.Array[RoleNames.Length]
        from clientId in Gen.OneOf(ClientIdsInUse)
        from callerRoles in Gen.Frequency((8, Gen.OneOf(RoleNames)), (1, Gen.OneOf("R1", "unknown"))).Array[1, 3]
        from requestedClientId in Gen.Frequency(
            (8, Gen.Const((string?)null)), (2, Gen.Const((string?)clientId)), (2, Gen.OneOf<string?>("bob", "alice", "*", "a:b", "x*", "", " ", "carol-1")))
        from requested in Gen.Frequency(
            (2, Gen.Const(((string, string[])[]?)null)),
            (6, (from resource in Gen.Frequency((6, Pattern(Segment)), (1, Pattern(PolicySegment))) from ops in OperationList select (resource, ops)).Array[1, 3]
                .Select(c => ((string, string[])[]?)c)))
        from ttl in Gen.Frequency(
            (3, Gen.Const((string?)null)),
            (3, Gen.Long[-10, 200_000_000].Select(t => (string?)t.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            (1, Gen.OneOf<string?>("", "abc", "99999999999999999999999", "1e3", "1000")))
        from maxTtl in Gen.OneOf(TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(24))
        from defaultTtl in Gen.OneOf(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromHours(24))
        from credentialLeft in Gen.Frequency(
            (3, Gen.Const((TimeSpan?)null)),
            (3, Gen.Long[0, 30_000_000].Select(ms => (TimeSpan?)TimeSpan.FromMilliseconds(ms))),
            (1, Gen.Long[0, 1_500].Select(ms => (TimeSpan?)TimeSpan.FromMilliseconds(ms))))
        from samples in Sample.Array[4, 10]
        select new Scenario(
            [.. RoleNames.Zip(policies)],
            clientId,
            callerRoles,
            new TokenParameters(requestedClientId, requested is null ? null : CapabilityJson(requested), ttl),
            requested,
            defaultTtl > maxTtl ? maxTtl : defaultTtl,
            maxTtl,
            credentialLeft,
            samples);

    private static string CapabilityJson((string Resource, string[] Operations)[] capability) =>
        "{" + string.Join(",", capability.Select(c => $"\"{c.Resource}\":[{string.Join(",", c.Operations.Select(o => $"\"{o}\""))}]")) + "}";
}
