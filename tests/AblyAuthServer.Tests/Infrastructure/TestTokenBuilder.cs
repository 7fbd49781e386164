using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// The claims and signing choices of a token a <see cref="TestIssuer"/> mints. It starts from a token the issuer's own
/// relying party would accept (iss, aud, sub, iat, nbf, exp), so that each test changes only what it is about; any
/// claim can be replaced or removed, including the registered ones.
/// </summary>
public sealed class TestTokenBuilder
{
    private readonly Dictionary<string, object?> _claims = new(StringComparer.Ordinal);

    internal TestTokenBuilder(DateTimeOffset now, TimeSpan lifetime, string? issuer, string? audience, string? subject)
    {
        Now = now;
        Set("iss", issuer);
        Set("aud", audience);
        Set("sub", subject);
        IssuedAt(now);
        NotBefore(now);
        Expires(now + lifetime);
    }

    /// <summary>The issuer's clock when the builder was made: the reference for relative times.</summary>
    public DateTimeOffset Now { get; }

    /// <summary><see cref="SecurityAlgorithms.RsaSha256"/> (the default) or <see cref="SecurityAlgorithms.EcdsaSha256"/>.</summary>
    public string SigningAlgorithm { get; private set; } = SecurityAlgorithms.RsaSha256;

    /// <summary>A specific held key; by default the issuer's current key for <see cref="SigningAlgorithm"/>.</summary>
    public string? SigningKeyId { get; private set; }

    /// <summary>The JOSE <c>typ</c> header: <c>JWT</c> unless set (access tokens from some issuers say <c>at+jwt</c>).</summary>
    public string TokenType { get; private set; } = "JWT";

    /// <summary>The payload as it will be serialized; a null value removes the claim.</summary>
    public IReadOnlyDictionary<string, object?> Claims => _claims;

    public TestTokenBuilder Algorithm(string algorithm)
    {
        SigningAlgorithm = algorithm;
        return this;
    }

    public TestTokenBuilder KeyId(string keyId)
    {
        SigningKeyId = keyId;
        return this;
    }

    public TestTokenBuilder Type(string type)
    {
        TokenType = type;
        return this;
    }

    public TestTokenBuilder Subject(string? subject) => Set("sub", subject);

    public TestTokenBuilder Issuer(string? issuer) => Set("iss", issuer);

    /// <summary>One audience is written as a string, several as an array.</summary>
    public TestTokenBuilder Audience(params string[] audiences) =>
        Set("aud", audiences.Length switch { 0 => null, 1 => audiences[0], _ => audiences });

    /// <summary>An <c>aud</c> array even with one entry, as some issuers write it.</summary>
    public TestTokenBuilder AudienceArray(params string[] audiences) => Set("aud", audiences);

    public TestTokenBuilder Expires(DateTimeOffset? at) => Set("exp", at?.ToUnixTimeSeconds());

    public TestTokenBuilder NotBefore(DateTimeOffset? at) => Set("nbf", at?.ToUnixTimeSeconds());

    public TestTokenBuilder IssuedAt(DateTimeOffset? at) => Set("iat", at?.ToUnixTimeSeconds());

    /// <summary>Sets iat and nbf to now and exp to now + <paramref name="lifetime"/>.</summary>
    public TestTokenBuilder Lifetime(TimeSpan lifetime) => IssuedAt(Now).NotBefore(Now).Expires(Now + lifetime);

    /// <summary>A <c>roles</c> array (even with one role).</summary>
    public TestTokenBuilder Roles(params string[] roles) => Set("roles", roles);

    /// <summary>Roles as an array under any claim name, e.g. <c>https://example.com/roles</c> or <c>groups</c>.</summary>
    public TestTokenBuilder RolesIn(string claimName, params string[] roles) => Set(claimName, roles);

    /// <summary>A single role as a plain string, as some issuers write a one-element role claim.</summary>
    public TestTokenBuilder Role(string role, string claimName = "roles") => Set(claimName, role);

    public TestTokenBuilder Name(string? name) => Set("name", name);

    public TestTokenBuilder ClientId(string? clientId) => Set("client_id", clientId);

    /// <summary>
    /// Any claim: strings, numbers, booleans, arrays and dictionaries (nested objects) are written as JSON; null removes it.
    /// </summary>
    public TestTokenBuilder Claim(string name, object? value) => Set(name, value);

    /// <summary>
    /// A claim inside nested objects, e.g. <c>ClaimAt(["realm_access", "roles"], new[] { "member" })</c> for Keycloak's
    /// realm roles or <c>ClaimAt(["resource_access", "ably", "roles"], ...)</c> for its client roles. Objects already on
    /// the path are kept, so several nested claims can share a parent.
    /// </summary>
    public TestTokenBuilder ClaimAt(IReadOnlyList<string> path, object? value)
    {
        ArgumentOutOfRangeException.ThrowIfZero(path.Count);
        if (path.Count == 1)
        {
            return Set(path[0], value);
        }

        if (!(_claims.TryGetValue(path[0], out var existing) && existing is Dictionary<string, object?> parent))
        {
            parent = new Dictionary<string, object?>(StringComparer.Ordinal);
            _claims[path[0]] = parent;
        }

        for (var i = 1; i < path.Count - 1; i++)
        {
            if (!(parent.TryGetValue(path[i], out var child) && child is Dictionary<string, object?> next))
            {
                next = new Dictionary<string, object?>(StringComparer.Ordinal);
                parent[path[i]] = next;
            }

            parent = next;
        }

        parent[path[^1]] = value;
        return this;
    }

    public TestTokenBuilder Without(params string[] names)
    {
        foreach (var name in names)
        {
            _claims.Remove(name);
        }

        return this;
    }

    internal Dictionary<string, object?> Payload() => new(_claims, StringComparer.Ordinal);

    private TestTokenBuilder Set(string name, object? value)
    {
        if (value is null)
        {
            _claims.Remove(name);
        }
        else
        {
            _claims[name] = value;
        }

        return this;
    }
}
