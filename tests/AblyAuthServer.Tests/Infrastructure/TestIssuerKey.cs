using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// One signing key of a <see cref="TestIssuer"/> (RS256 with RSA-2048, or ES256 with P-256). The issuer keeps every key
/// it ever made, published or not, so a test can sign with a key the JWKS no longer lists (a retired key) or does not
/// list yet (a key about to be rotated in).
/// </summary>
public sealed class TestIssuerKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;

    private TestIssuerKey(string keyId, string algorithm, RSA? rsa, ECDsa? ec)
    {
        KeyId = keyId;
        Algorithm = algorithm;
        _rsa = rsa;
        _ec = ec;
        SecurityKey = rsa is not null ? new RsaSecurityKey(rsa) { KeyId = keyId } : new ECDsaSecurityKey(ec!) { KeyId = keyId };
    }

    public string KeyId { get; }

    /// <summary><see cref="SecurityAlgorithms.RsaSha256"/> or <see cref="SecurityAlgorithms.EcdsaSha256"/>.</summary>
    public string Algorithm { get; }

    /// <summary>The private key, for signing; its <c>KeyId</c> is <see cref="KeyId"/>.</summary>
    public SecurityKey SecurityKey { get; }

    public SigningCredentials SigningCredentials => new(SecurityKey, Algorithm);

    public static TestIssuerKey Create(string algorithm, string keyId) => algorithm switch
    {
        SecurityAlgorithms.RsaSha256 => new(keyId, algorithm, RSA.Create(2048), null),
        SecurityAlgorithms.EcdsaSha256 => new(keyId, algorithm, null, ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        _ => throw new ArgumentException($"a test issuer signs with RS256 or ES256, not {algorithm}", nameof(algorithm)),
    };

    /// <summary>
    /// The public JWK as an issuer publishes it, written from the raw key parameters rather than by IdentityModel, so
    /// that the reader under test does not also write what it reads.
    /// </summary>
    public Dictionary<string, object> PublicJwk()
    {
        if (_rsa is not null)
        {
            var parameters = _rsa.ExportParameters(includePrivateParameters: false);
            return new()
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = Algorithm,
                ["kid"] = KeyId,
                ["n"] = Base64Url.EncodeToString(parameters.Modulus),
                ["e"] = Base64Url.EncodeToString(parameters.Exponent),
            };
        }

        var point = _ec!.ExportParameters(includePrivateParameters: false).Q;
        return new()
        {
            ["kty"] = "EC",
            ["use"] = "sig",
            ["alg"] = Algorithm,
            ["kid"] = KeyId,
            ["crv"] = "P-256",
            ["x"] = Base64Url.EncodeToString(point.X),
            ["y"] = Base64Url.EncodeToString(point.Y),
        };
    }

    /// <summary>The RSA public key as SubjectPublicKeyInfo DER: what a careless HS256 verifier might take as its secret.</summary>
    public byte[] PublicKeyDer() => Rsa.ExportSubjectPublicKeyInfo();

    /// <summary>The RSA public key as a <c>-----BEGIN PUBLIC KEY-----</c> PEM.</summary>
    public string PublicKeyPem() => Rsa.ExportSubjectPublicKeyInfoPem();

    /// <summary>The RSA modulus, the bytes behind the JWK's <c>n</c>.</summary>
    public byte[] Modulus() => Rsa.ExportParameters(includePrivateParameters: false).Modulus!;

    public void Dispose()
    {
        _rsa?.Dispose();
        _ec?.Dispose();
    }

    private RSA Rsa => _rsa ?? throw new InvalidOperationException($"{KeyId} is an {Algorithm} key, not an RSA key");
}
