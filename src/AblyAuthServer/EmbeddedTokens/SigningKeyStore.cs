using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using AblyAuthServer.Accounts;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// The signing keys in the account store, shared by every replica. Private keys are written only as data protection
/// ciphertext (the key ring the app already keeps with the account store), so a copy of the table alone signs nothing.
/// </summary>
public sealed class SigningKeyStore(IServiceScopeFactory scopes, IDataProtectionProvider protection)
{
    /// <summary>The data protection purpose of the private keys; changing it makes every stored private key unreadable.</summary>
    public const string ProtectionPurpose = "AblyAuthServer.EmbeddedTokens.SigningKey.v1";

    private readonly IDataProtector _protector = protection.CreateProtector(ProtectionPurpose);

    public async Task<List<EmbeddedSigningKey>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        return await db.EmbeddedSigningKeys.AsNoTracking().OrderBy(k => k.Generation).ToListAsync(cancellationToken);
    }

    /// <summary>Stores <paramref name="key"/>; false when it was not stored (another replica stored that generation first).</summary>
    public async Task<bool> TryAddAsync(EmbeddedSigningKey key, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        db.EmbeddedSigningKeys.Add(key);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            // The unique generation: the caller reloads and signs with whichever key won.
            return false;
        }
    }

    /// <summary>Deletes the keys with these ids; deleting one already gone is not an error (replicas prune alike).</summary>
    public async Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        await db.EmbeddedSigningKeys.Where(k => ids.Contains(k.Id)).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>A new P-256 key for <paramref name="generation"/>, its private half protected, not yet stored.</summary>
    public EmbeddedSigningKey Create(long generation, DateTimeOffset createdAt, DateTimeOffset activatesAt)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = ecdsa.ExportParameters(includePrivateParameters: false).Q;
        var x = Base64Url.EncodeToString(point.X);
        var y = Base64Url.EncodeToString(point.Y);
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            return new EmbeddedSigningKey
            {
                Id = Thumbprint(x, y),
                Generation = generation,
                CreatedAt = createdAt.ToUnixTimeMilliseconds(),
                ActivatesAt = activatesAt.ToUnixTimeMilliseconds(),
                X = x,
                Y = y,
                ProtectedPrivateKey = Base64Url.EncodeToString(_protector.Protect(pkcs8)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The stored key without its private half.</summary>
    public static SigningKey PublicPart(EmbeddedSigningKey key) =>
        new(key.Id, key.Generation, DateTimeOffset.FromUnixTimeMilliseconds(key.ActivatesAt), key.X, key.Y);

    /// <summary>
    /// The stored key with ES256 credentials. Throws <see cref="CryptographicException"/> when this replica's key ring
    /// cannot unprotect it, or when the private key does not belong to the published public key.
    /// </summary>
    public SigningKey WithPrivateKey(EmbeddedSigningKey key)
    {
        var pkcs8 = _protector.Unprotect(Base64Url.DecodeFromChars(key.ProtectedPrivateKey));
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            var point = ecdsa.ExportParameters(includePrivateParameters: false).Q;
            if (Base64Url.EncodeToString(point.X) != key.X || Base64Url.EncodeToString(point.Y) != key.Y)
            {
                throw new CryptographicException("The stored private key does not match its public key.");
            }
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }

        var credentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = key.Id }, SecurityAlgorithms.EcdsaSha256);
        return PublicPart(key) with { Credentials = credentials };
    }

    /// <summary>The RFC 7638 JWK thumbprint of a P-256 public key: SHA-256 over its required members in lexical order.</summary>
    public static string Thumbprint(string x, string y) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));
}
