namespace AblyAuthServer.Authentication.IdentityProviders;

/// <summary>
/// <c>Auth:Issuers:&lt;i&gt;</c>: an identity provider whose JWTs (access or ID tokens) are exchanged for Ably tokens.
/// </summary>
public sealed class IssuerOptions
{
    /// <summary>The provider's base URL; its OIDC discovery document and JWKS are fetched from there.</summary>
    public string? Authority { get; set; }

    /// <summary>The expected <c>iss</c> when it differs from <see cref="Authority"/>; required with <see cref="SymmetricKey"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>An accepted audience; together with <see cref="Audiences"/>.</summary>
    public string? Audience { get; set; }

    /// <summary>More accepted audiences (several apps of one provider).</summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>A claim checked against the audiences instead of <c>aud</c> (Cognito access tokens: <c>client_id</c>).</summary>
    public string? AudienceClaim { get; set; }

    /// <summary>The claim that becomes the Ably clientId.</summary>
    public string ClientIdClaim { get; set; } = "sub";

    /// <summary>Prepended to the clientId (and the subject), so that two providers' users cannot collide.</summary>
    public string? ClientIdPrefix { get; set; }

    /// <summary>
    /// The claim holding role names, a string or an array: looked up by its exact name first (Auth0's
    /// <c>https://example.com/roles</c>), and only if absent as a dotted path (Keycloak's <c>realm_access.roles</c>).
    /// </summary>
    public string RolesClaim { get; set; } = "roles";

    /// <summary>Roles every user of this provider gets.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>Fetch metadata over HTTPS only; false only for local testing.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// For providers that sign with a shared HS256 secret (Supabase's legacy JWT secret): base64, at least 32 bytes.
    /// Such a provider uses no discovery and only HS256. Also from <c>AUTH__ISSUERS__&lt;i&gt;__SYMMETRICKEY_FILE</c>.
    /// </summary>
    public string? SymmetricKey { get; set; }

    /// <summary>The <c>iss</c> tokens must carry.</summary>
    public string ExpectedIssuer => Issuer ?? Authority ?? string.Empty;

    /// <summary>Every accepted audience, <see cref="Audience"/> first.</summary>
    public IReadOnlyList<string> AcceptedAudiences =>
        [.. (Audience is null ? Audiences : [Audience, .. Audiences]).Where(a => !string.IsNullOrWhiteSpace(a)).Distinct(StringComparer.Ordinal)];
}
