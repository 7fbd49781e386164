using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Policies;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AblyAuthServer.Benchmarks;

/// <summary>
/// Where AblyJwtIssuer.Issue spends its time and allocations: building the payload string, then
/// JsonWebTokenHandler.CreateToken. <see cref="HandRolledJwt"/> is a reference point only (not product code): the same
/// token written directly with Utf8JsonWriter, Base64Url and HMACSHA256.HashData, to show what the handler costs.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(QuickConfig))]
public class JwtBreakdownBenchmarks
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private AblyJwtIssuer _issuer = null!;
    private TokenGrant _grant = null!;
    private string _payload = null!;
    private HandRolledHs256 _handRolled = null!;

    [GlobalSetup]
    public void Setup()
    {
        _issuer = new AblyJwtIssuer(TimeProvider.System);
        _grant = Fixtures.Resolver().Resolve(Fixtures.Alice, TokenParameters.None).Grant!;
        _payload = Payload(_grant, 1_700_000_000, 1_700_003_600);
        _handRolled = new HandRolledHs256(Fixtures.TestKey);

        // The reference must produce the same claims as the product, or the comparison means nothing.
        var product = new JsonWebToken(_issuer.Issue(_grant, Fixtures.Key));
        var reference = new JsonWebToken(HandRolledJwt());
        if (product.GetPayloadValue<string>("x-ably-capability") != reference.GetPayloadValue<string>("x-ably-capability")
            || product.Kid != reference.Kid || product.Alg != reference.Alg)
        {
            throw new InvalidOperationException("The hand-rolled reference JWT differs from AblyJwtIssuer's.");
        }
    }

    /// <summary>The whole product call, for reference.</summary>
    [Benchmark(Baseline = true)]
    public string IssueJwt() => _issuer.Issue(_grant, Fixtures.Key);

    /// <summary>Step 1 of Issue: the claims as a JSON string (ArrayBufferWriter + Utf8JsonWriter + UTF-8 decode).</summary>
    [Benchmark]
    public string BuildPayloadString() => Payload(_grant, 1_700_000_000, 1_700_003_600);

    /// <summary>Step 2 of Issue: JsonWebTokenHandler.CreateToken(string payload, SigningCredentials).</summary>
    [Benchmark]
    public string HandlerCreateToken() => Handler.CreateToken(_payload, Fixtures.Key.SigningCredentials);

    /// <summary>Reference point: the same JWT without the handler.</summary>
    [Benchmark]
    public string HandRolledJwt() => _handRolled.Issue(_grant, DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    // A copy of AblyJwtIssuer's private payload step, so it can be timed alone.
    private static string Payload(TokenGrant grant, long issuedAt, long expires)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("iat", issuedAt);
            writer.WriteNumber("exp", expires);
            writer.WriteString("x-ably-capability", grant.Capability.ToJson());
            writer.WriteString("x-ably-clientId", grant.ClientId);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Minimal HS256 writer: one pooled buffer, the token string is the only allocation.</summary>
    private sealed class HandRolledHs256
    {
        [ThreadStatic]
        private static ArrayBufferWriter<byte>? t_payload;

        [ThreadStatic]
        private static Utf8JsonWriter? t_writer;

        private readonly byte[] _secret;
        private readonly byte[] _encodedHeader;

        public HandRolledHs256(string apiKey)
        {
            var colon = apiKey.IndexOf(':', StringComparison.Ordinal);
            _secret = Encoding.UTF8.GetBytes(apiKey[(colon + 1)..]);
            var header = Encoding.UTF8.GetBytes($$"""{"alg":"HS256","kid":"{{apiKey[..colon]}}","typ":"JWT"}""");
            _encodedHeader = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(header));
        }

        public string Issue(TokenGrant grant, long issuedAt)
        {
            var payload = t_payload ??= new ArrayBufferWriter<byte>(512);
            payload.ResetWrittenCount();
            var writer = t_writer ??= new Utf8JsonWriter(payload);
            writer.Reset(payload);
            writer.WriteStartObject();
            writer.WriteNumber("iat", issuedAt);
            writer.WriteNumber("exp", issuedAt + (long)Math.Ceiling(grant.Ttl.TotalSeconds));
            writer.WriteString("x-ably-capability", grant.Capability.ToJson());
            writer.WriteString("x-ably-clientId", grant.ClientId);
            writer.WriteEndObject();
            writer.Flush();

            var length = _encodedHeader.Length + 1 + Base64Url.GetEncodedLength(payload.WrittenCount) + 1 + Base64Url.GetEncodedLength(HMACSHA256.HashSizeInBytes);
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var token = rented.AsSpan(0, length);
                _encodedHeader.CopyTo(token);
                var at = _encodedHeader.Length;
                token[at++] = (byte)'.';
                at += Base64Url.EncodeToUtf8(payload.WrittenSpan, token[at..]);
                Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
                HMACSHA256.HashData(_secret, token[..at], mac);
                token[at++] = (byte)'.';
                at += Base64Url.EncodeToUtf8(mac, token[at..]);
                return Encoding.ASCII.GetString(token[..at]);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
