using AblyAuthServer.Ably;
using AblyAuthServer.Policies;
using BenchmarkDotNet.Attributes;

namespace AblyAuthServer.Benchmarks;

/// <summary>Signing cost per token: what /ably/token and /ably/token-request spend after the caller is authenticated.</summary>
[MemoryDiagnoser]
[Config(typeof(QuickConfig))]
public class MintingBenchmarks
{
    private AblyJwtIssuer _issuer = null!;
    private TokenRequestSigner _signer = null!;
    private GrantResolver _resolver = null!;
    private TokenGrant _grant = null!;

    [GlobalSetup]
    public void Setup()
    {
        _issuer = new AblyJwtIssuer(TimeProvider.System);
        _signer = new TokenRequestSigner(TimeProvider.System);
        _resolver = Fixtures.Resolver();
        _grant = _resolver.Resolve(Fixtures.Alice, TokenParameters.None).Grant!;
        _ = _grant.Capability.ToJson();
    }

    /// <summary>AblyJwtIssuer.Issue for a member's default grant (capability JSON already cached on the grant).</summary>
    [Benchmark(Baseline = true)]
    public string IssueJwt() => _issuer.Issue(_grant, Fixtures.Key);

    /// <summary>TokenRequestSigner.Sign: CSPRNG nonce + HMAC-SHA256 MAC.</summary>
    [Benchmark]
    public TokenRequest SignTokenRequest() => _signer.Sign(_grant, Fixtures.Key);

    /// <summary>What one GET /ably/token does after authentication: resolve the grant (fresh capability), then sign.</summary>
    [Benchmark]
    public string ResolveAndIssueJwt() => _issuer.Issue(_resolver.Resolve(Fixtures.Alice, TokenParameters.None).Grant!, Fixtures.Key);

    /// <summary>What one GET /ably/token-request does after authentication.</summary>
    [Benchmark]
    public TokenRequest ResolveAndSignTokenRequest() => _signer.Sign(_resolver.Resolve(Fixtures.Alice, TokenParameters.None).Grant!, Fixtures.Key);
}
