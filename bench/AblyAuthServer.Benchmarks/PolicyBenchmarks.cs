using AblyAuthServer.Ably;
using AblyAuthServer.Policies;
using BenchmarkDotNet.Attributes;

namespace AblyAuthServer.Benchmarks;

/// <summary>Policy cost per token: capability intersection and grant resolution (pure, no I/O).</summary>
[MemoryDiagnoser]
[Config(typeof(QuickConfig))]
public class PolicyBenchmarks
{
    // What an SDK typically asks for: a channel inside the namespace, its own private channel, and one it may not have.
    private const string RequestedCapability =
        """{"chat:lobby":["publish","subscribe","presence"],"private:alice":["*"],"admin:*":["publish"]}""";

    private GrantResolver _resolver = null!;
    private Capability _allowed = null!;
    private Capability _requested = null!;
    private TokenParameters _narrowed = null!;

    [GlobalSetup]
    public void Setup()
    {
        var policies = Fixtures.DefaultPolicies();
        _resolver = new GrantResolver(policies, TimeSpan.FromHours(1), TimeSpan.FromHours(24));
        _allowed = policies.Allowed(Fixtures.Alice.Roles, Fixtures.Alice.ClientId);
        _requested = Capability.TryParse(RequestedCapability, out var requested, out var error)
            ? requested!
            : throw new InvalidOperationException(error);
        _narrowed = new TokenParameters("alice", RequestedCapability, "600000");
    }

    /// <summary>Capability.Intersect of the member policy with a realistic request.</summary>
    [Benchmark]
    public Capability IntersectCapability() => _allowed.Intersect(_requested);

    /// <summary>Capability.Intersect plus the canonical JSON the token carries.</summary>
    [Benchmark]
    public string IntersectAndSerialize() => _allowed.Intersect(_requested).ToJson();

    /// <summary>GrantResolver.Resolve with no token params (what ably-js sends on first connect).</summary>
    [Benchmark(Baseline = true)]
    public GrantResult ResolveDefault() => _resolver.Resolve(Fixtures.Alice, TokenParameters.None);

    /// <summary>GrantResolver.Resolve with clientId, capability (parsed + intersected) and ttl.</summary>
    [Benchmark]
    public GrantResult ResolveNarrowed() => _resolver.Resolve(Fixtures.Alice, _narrowed);
}
