using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// An external identity provider for tests: OIDC discovery and a JWKS over real HTTP (Kestrel on 127.0.0.1 and a free
/// port), an RS256 and an ES256 key, and full control over the tokens it mints, good and bad. A relying party such as
/// JwtBearer talks to it exactly as to a real issuer, so tests can also rotate its keys, make it refuse connections,
/// hang or answer slowly, and count how often it is asked for its metadata.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    public const string DiscoveryPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/jwks";

    /// <summary>An issuer no relying party trusts, for tokens that are otherwise valid.</summary>
    public const string WrongIssuer = "https://wrong-issuer.test";

    /// <summary>An audience that is not the server's, for tokens that are otherwise valid.</summary>
    public const string WrongAudience = "https://not-ably-auth.test";

    private static readonly JsonWebTokenHandler Handler = new();

    private readonly TestIssuerOptions _options;
    private readonly SemaphoreSlim _transitions = new(1, 1);
    private readonly Lock _keysLock = new();
    private readonly List<HeldKey> _keys = [];
    private readonly Dictionary<string, string> _currentKeyIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TestIssuerKey> _foreignKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unpublishedKeyIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _keySequences = new(StringComparer.Ordinal);

    private WebApplication? _app;
    private volatile TaskCompletionSource<bool>? _hang;
    private long _responseDelayTicks;
    private int _discoveryRequests;
    private int _jwksRequests;
    private int _otherRequests;

    private TestIssuer(TestIssuerOptions options)
    {
        _options = options;
        AddKey(SecurityAlgorithms.RsaSha256);
        AddKey(SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>Where a request stands when it reaches the issuer.</summary>
    public enum Availability
    {
        Answering,

        /// <summary>Nothing listens on the port: connections are refused, as when the issuer is down.</summary>
        Refusing,

        /// <summary>Connections are accepted and requests read, but nothing is answered until <see cref="ResumeAsync"/>.</summary>
        Hanging,
    }

    public static async Task<TestIssuer> StartAsync(TestIssuerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var issuer = new TestIssuer(options ?? new TestIssuerOptions());
        try
        {
            await issuer.ListenAsync(port: 0, cancellationToken);
        }
        catch
        {
            await issuer.DisposeAsync();
            throw;
        }

        return issuer;
    }

    public int Port { get; private set; }

    /// <summary><c>http://127.0.0.1:port</c>, without a trailing slash.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The <c>issuer</c> of the discovery document and the default <c>iss</c> of minted tokens.</summary>
    public string Issuer => _options.Issuer ?? BaseUrl;

    /// <summary>The discovery document's address (what JwtBearer calls the MetadataAddress).</summary>
    public string MetadataAddress => BaseUrl + DiscoveryPath;

    public string JwksUri => BaseUrl + JwksPath;

    public string Audience => _options.Audience;

    public Availability State { get; private set; } = Availability.Refusing;

    /// <summary>Added before every answer (after the request is counted); zero by default.</summary>
    public TimeSpan ResponseDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _responseDelayTicks));
        set => Interlocked.Exchange(ref _responseDelayTicks, value.Ticks);
    }

    /// <summary>Requests for the discovery document that reached the issuer, answered or not.</summary>
    public int DiscoveryRequests => Volatile.Read(ref _discoveryRequests);

    /// <summary>Requests for the JWKS that reached the issuer, answered or not.</summary>
    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    /// <summary>Requests for any other path (answered 404).</summary>
    public int OtherRequests => Volatile.Read(ref _otherRequests);

    /// <summary>Every key the issuer holds, published or not, oldest first.</summary>
    public IReadOnlyList<TestIssuerKey> Keys
    {
        get
        {
            lock (_keysLock)
            {
                return [.. _keys.Select(k => k.Key)];
            }
        }
    }

    /// <summary>The key ids in the JWKS right now, in the order served.</summary>
    public IReadOnlyList<string> PublishedKeyIds
    {
        get
        {
            lock (_keysLock)
            {
                return [.. _keys.Where(k => k.Published).Select(k => k.Key.KeyId)];
            }
        }
    }

    public void ResetCounts()
    {
        Interlocked.Exchange(ref _discoveryRequests, 0);
        Interlocked.Exchange(ref _jwksRequests, 0);
        Interlocked.Exchange(ref _otherRequests, 0);
    }

    /// <summary>The key tokens of <paramref name="algorithm"/> are signed with unless a test names another.</summary>
    public TestIssuerKey CurrentKey(string algorithm = SecurityAlgorithms.RsaSha256)
    {
        lock (_keysLock)
        {
            return Find(_currentKeyIds.TryGetValue(algorithm, out var keyId) ? keyId : throw new ArgumentException($"no {algorithm} key", nameof(algorithm)));
        }
    }

    // ---- Keys -------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Makes a new key. <paramref name="publish"/>: whether the JWKS lists it (a key signed with before it is published is
    /// the relying party's "unknown kid"); <paramref name="makeCurrent"/>: whether tokens are signed with it by default.
    /// </summary>
    public TestIssuerKey AddKey(string algorithm = SecurityAlgorithms.RsaSha256, string? keyId = null, bool publish = true, bool makeCurrent = true)
    {
        lock (_keysLock)
        {
            if (keyId is null)
            {
                var sequence = _keySequences[algorithm] = _keySequences.GetValueOrDefault(algorithm) + 1;
                keyId = $"{(algorithm == SecurityAlgorithms.RsaSha256 ? "rsa" : "ec")}-{sequence}";
            }

            var key = TestIssuerKey.Create(algorithm, keyId);
            if (_keys.Any(k => k.Key.KeyId == key.KeyId))
            {
                key.Dispose();
                throw new ArgumentException($"the issuer already holds a key with kid {keyId}", nameof(keyId));
            }

            _keys.Add(new HeldKey(key) { Published = publish });
            if (makeCurrent || !_currentKeyIds.ContainsKey(algorithm))
            {
                _currentKeyIds[algorithm] = key.KeyId;
            }

            return key;
        }
    }

    /// <summary>Lists a held key in the JWKS (again).</summary>
    public void PublishKey(string keyId)
    {
        lock (_keysLock)
        {
            FindHeld(keyId).Published = true;
        }
    }

    /// <summary>
    /// Drops a key from the JWKS. The issuer still holds it, so tests can mint with it: a token signed with a retired key.
    /// </summary>
    public void RemoveKey(string keyId)
    {
        lock (_keysLock)
        {
            FindHeld(keyId).Published = false;
        }
    }

    /// <summary>
    /// A rotation: a new published key of <paramref name="algorithm"/> becomes current and, unless
    /// <paramref name="keepOld"/>, the previous current key leaves the JWKS. Returns the new key.
    /// </summary>
    public TestIssuerKey RotateKey(string algorithm = SecurityAlgorithms.RsaSha256, bool keepOld = false)
    {
        lock (_keysLock)
        {
            var old = CurrentKey(algorithm);
            var key = AddKey(algorithm);
            if (!keepOld)
            {
                RemoveKey(old.KeyId);
            }

            return key;
        }
    }

    // ---- Availability -----------------------------------------------------------------------------------------------

    /// <summary>Stops listening: new connections are refused and open ones are closed, as when the issuer is down.</summary>
    public async Task StopAnsweringAsync()
    {
        await _transitions.WaitAsync();
        try
        {
            ReleaseHungRequests(answer: false);
            await StopAppAsync();
            State = Availability.Refusing;
        }
        finally
        {
            _transitions.Release();
        }
    }

    /// <summary>Keeps (or starts) listening but answers nothing, as an overloaded issuer or a black-holing proxy would.</summary>
    public async Task HangAsync(CancellationToken cancellationToken = default)
    {
        await _transitions.WaitAsync(cancellationToken);
        try
        {
            _hang ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_app is null)
            {
                await ListenAsync(Port, cancellationToken);
            }

            State = Availability.Hanging;
        }
        finally
        {
            _transitions.Release();
        }
    }

    /// <summary>Answers again, on the same port; requests that were hanging are answered now.</summary>
    public async Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        await _transitions.WaitAsync(cancellationToken);
        try
        {
            if (_app is null)
            {
                await ListenAsync(Port, cancellationToken);
            }

            ReleaseHungRequests(answer: true);
            State = Availability.Answering;
        }
        finally
        {
            _transitions.Release();
        }
    }

    // ---- Minting ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// A valid token (iss, aud, sub and a one-hour lifetime by default, RS256 with the current key) changed by
    /// <paramref name="configure"/>.
    /// </summary>
    public string Mint(Action<TestTokenBuilder>? configure = null) => Sign(Build(configure));

    /// <summary>Exactly these claims and no others, signed with the current key of <paramref name="algorithm"/> or key <paramref name="keyId"/>.</summary>
    public string Mint(IReadOnlyDictionary<string, object?> claims, string algorithm = SecurityAlgorithms.RsaSha256, string? keyId = null) =>
        Sign(claims, ResolveKey(keyId, algorithm), "JWT");

    /// <summary>Expired an hour ago, far outside any clock skew allowance.</summary>
    public string MintExpired(Action<TestTokenBuilder>? configure = null) =>
        Mint(b =>
        {
            configure?.Invoke(b);
            b.IssuedAt(b.Now.AddHours(-2)).NotBefore(b.Now.AddHours(-2)).Expires(b.Now.AddHours(-1));
        });

    /// <summary>Valid only from an hour from now.</summary>
    public string MintNotYetValid(Action<TestTokenBuilder>? configure = null) =>
        Mint(b =>
        {
            configure?.Invoke(b);
            b.IssuedAt(b.Now).NotBefore(b.Now.AddHours(1)).Expires(b.Now.AddHours(2));
        });

    /// <summary>Signed by this issuer's published key, but claiming another issuer.</summary>
    public string MintWithWrongIssuer(Action<TestTokenBuilder>? configure = null, string issuer = WrongIssuer) =>
        Mint(b =>
        {
            configure?.Invoke(b);
            b.Issuer(issuer);
        });

    /// <summary>Valid, but for another relying party.</summary>
    public string MintWithWrongAudience(Action<TestTokenBuilder>? configure = null, string audience = WrongAudience) =>
        Mint(b =>
        {
            configure?.Invoke(b);
            b.Audience(audience);
        });

    /// <summary>A valid token with one byte of its signature flipped.</summary>
    public string MintWithBadSignature(Action<TestTokenBuilder>? configure = null) =>
        ForgedJws.WithFlippedSignatureByte(Mint(configure));

    /// <summary>
    /// <c>alg: none</c> and an empty signature, with the current RSA key's kid so a verifier cannot reject it merely for
    /// lacking one; <paramref name="algValue"/> tries other spellings.
    /// </summary>
    public string MintUnsigned(Action<TestTokenBuilder>? configure = null, string algValue = "none")
    {
        var builder = Build(configure);
        return ForgedJws.NoneAlgorithm(builder.Payload(), ResolveKey(builder.SigningKeyId, builder.SigningAlgorithm).KeyId, algValue);
    }

    /// <summary>
    /// The algorithm-confusion attack: HS256, keyed with the public half of the issuer's RSA key (which anyone can read
    /// from the JWKS), and that key's kid in the header, so a verifier that lets the token pick the algorithm would
    /// accept it.
    /// </summary>
    public string MintAlgorithmConfusion(ForgedJws.ConfusionSecret secret, Action<TestTokenBuilder>? configure = null)
    {
        var builder = Build(configure);
        var rsaKey = ResolveKey(builder.SigningKeyId, SecurityAlgorithms.RsaSha256);
        return ForgedJws.Hs256(builder.Payload(), ForgedJws.ConfusionKey(rsaKey, secret), rsaKey.KeyId);
    }

    /// <summary>
    /// Signed by a key this issuer holds but never published: its kid is in no JWKS, however often it is fetched.
    /// </summary>
    public string MintWithUnknownKid(Action<TestTokenBuilder>? configure = null)
    {
        var builder = Build(configure);
        string keyId;
        lock (_keysLock)
        {
            if (!_unpublishedKeyIds.TryGetValue(builder.SigningAlgorithm, out keyId!))
            {
                keyId = AddKey(builder.SigningAlgorithm, keyId: $"unpublished-{builder.SigningAlgorithm.ToLowerInvariant()}", publish: false, makeCurrent: false).KeyId;
                _unpublishedKeyIds[builder.SigningAlgorithm] = keyId;
            }
        }

        return Sign(builder.Payload(), Find(keyId), builder.TokenType);
    }

    /// <summary>
    /// Claims this issuer but is signed with another party's key. With <paramref name="reuseKnownKid"/> the header carries
    /// this issuer's current kid, so the verifier finds a key and must fail on the signature itself; otherwise the
    /// foreign key's own kid, which this issuer does not publish.
    /// </summary>
    public string MintWithForeignKey(bool reuseKnownKid = false, Action<TestTokenBuilder>? configure = null)
    {
        var builder = Build(configure);
        var ownKeyId = ResolveKey(builder.SigningKeyId, builder.SigningAlgorithm).KeyId;
        var keyId = reuseKnownKid ? ownKeyId : $"foreign-{builder.SigningAlgorithm.ToLowerInvariant()}";
        TestIssuerKey foreign;
        lock (_keysLock)
        {
            if (!_foreignKeys.TryGetValue(keyId, out foreign!))
            {
                foreign = TestIssuerKey.Create(builder.SigningAlgorithm, keyId);
                _foreignKeys[keyId] = foreign;
            }
        }

        return Sign(builder.Payload(), foreign, builder.TokenType);
    }

    /// <summary>
    /// An HS256 token keyed with a shared secret's UTF-8 bytes, as Supabase's legacy JWT secret signs; exactly these claims.
    /// The secret must be at least 32 bytes (IdentityModel's minimum for HS256; real provider secrets are longer).
    /// </summary>
    public static string MintHs256(string secret, IReadOnlyDictionary<string, object?> claims, string? keyId = null)
    {
        var key = new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(secret)) { KeyId = keyId };
        return Handler.CreateToken(JsonSerializer.Serialize(claims), new SigningCredentials(key, SecurityAlgorithms.HmacSha256));
    }

    /// <summary>
    /// An HS256 token keyed with a shared secret: sub, iat, nbf and a one-hour exp by default (no iss or aud: shared-secret
    /// issuers vary), changed by <paramref name="configure"/>.
    /// </summary>
    public static string MintHs256(string secret, Action<TestTokenBuilder>? configure = null, TimeProvider? time = null)
    {
        var builder = new TestTokenBuilder((time ?? TimeProvider.System).GetUtcNow(), TimeSpan.FromHours(1), issuer: null, audience: null, subject: "test-user");
        configure?.Invoke(builder);
        return MintHs256(secret, builder.Payload(), builder.SigningKeyId);
    }

    public async ValueTask DisposeAsync()
    {
        await _transitions.WaitAsync();
        try
        {
            ReleaseHungRequests(answer: false);
            await StopAppAsync();
            State = Availability.Refusing;
        }
        finally
        {
            _transitions.Release();
        }

        lock (_keysLock)
        {
            foreach (var key in _keys.Select(k => k.Key).Concat(_foreignKeys.Values))
            {
                key.Dispose();
            }
        }
    }

    // ---- Internals --------------------------------------------------------------------------------------------------

    private TestTokenBuilder Build(Action<TestTokenBuilder>? configure)
    {
        var builder = new TestTokenBuilder(_options.Time.GetUtcNow(), _options.TokenLifetime, Issuer, _options.Audience, _options.Subject);
        configure?.Invoke(builder);
        return builder;
    }

    private string Sign(TestTokenBuilder builder) =>
        Sign(builder.Payload(), ResolveKey(builder.SigningKeyId, builder.SigningAlgorithm), builder.TokenType);

    // The payload is serialized here rather than passed as claims, so IdentityModel adds nothing (no default exp, iat or
    // nbf) and removes nothing: the test decides every claim, including their absence.
    private static string Sign(IReadOnlyDictionary<string, object?> payload, TestIssuerKey key, string tokenType) =>
        Handler.CreateToken(
            JsonSerializer.Serialize(payload),
            key.SigningCredentials,
            new Dictionary<string, object> { [JwtHeaderParameterNames.Typ] = tokenType });

    private TestIssuerKey ResolveKey(string? keyId, string algorithm)
    {
        lock (_keysLock)
        {
            return keyId is null ? CurrentKey(algorithm) : Find(keyId);
        }
    }

    private TestIssuerKey Find(string keyId) => FindHeld(keyId).Key;

    private HeldKey FindHeld(string keyId)
    {
        lock (_keysLock)
        {
            return _keys.FirstOrDefault(k => k.Key.KeyId == keyId) ?? throw new ArgumentException($"the issuer holds no key with kid {keyId}", nameof(keyId));
        }
    }

    private void ReleaseHungRequests(bool answer)
    {
        _hang?.TrySetResult(answer);
        _hang = null;
    }

    private async Task ListenAsync(int port, CancellationToken cancellationToken)
    {
        // A restart binds the port it had; right after a stop the kernel may briefly still hold it.
        for (var attempt = 1; ; attempt++)
        {
            var app = BuildApp(port);
            try
            {
                await app.StartAsync(cancellationToken);
                var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
                Port = new Uri(address).Port;
                _app = app;
                State = _hang is null ? Availability.Answering : Availability.Hanging;
                return;
            }
            catch (IOException) when (port != 0 && attempt < 20)
            {
                await app.DisposeAsync();
                await Task.Delay(100, cancellationToken);
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
        }
    }

    private WebApplication BuildApp(int port)
    {
        // The empty builder reads no appsettings or ASPNETCORE_* variables, so nothing can move the issuer off loopback.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        app.Run(HandleAsync);
        return app;
    }

    private async Task StopAppAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        switch (path)
        {
            case DiscoveryPath:
                Interlocked.Increment(ref _discoveryRequests);
                break;
            case JwksPath:
                Interlocked.Increment(ref _jwksRequests);
                break;
            default:
                Interlocked.Increment(ref _otherRequests);
                break;
        }

        try
        {
            if (_hang is { } hang && !await hang.Task.WaitAsync(context.RequestAborted))
            {
                context.Abort();
                return;
            }

            if (ResponseDelay > TimeSpan.Zero)
            {
                await Task.Delay(ResponseDelay, context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        object? body = path switch
        {
            DiscoveryPath => (object)DiscoveryDocument(),
            JwksPath => Jwks(),
            _ => null,
        };
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }

    private Dictionary<string, object?> DiscoveryDocument()
    {
        var document = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["issuer"] = Issuer,
            ["jwks_uri"] = JwksUri,
            ["authorization_endpoint"] = BaseUrl + "/authorize",
            ["token_endpoint"] = BaseUrl + "/token",
            ["response_types_supported"] = new[] { "code", "id_token", "id_token token" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256 },
        };
        _options.EditDiscovery?.Invoke(document);
        return document;
    }

    private Dictionary<string, object> Jwks()
    {
        lock (_keysLock)
        {
            return new() { ["keys"] = _keys.Where(k => k.Published).Select(k => k.Key.PublicJwk()).ToArray() };
        }
    }

    private sealed class HeldKey(TestIssuerKey key)
    {
        public TestIssuerKey Key { get; } = key;

        public bool Published { get; set; }
    }
}
