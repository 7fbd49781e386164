using AblyAuthServer.Authentication.IdentityProviders;

namespace AblyAuthServer.Authentication;

/// <summary><c>Auth</c>: which credentials the token endpoints accept besides sessions.</summary>
public sealed class CallerAuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Accept <c>Authorization: Basic</c> (user name and password on every request).</summary>
    public bool AllowBasic { get; set; } = true;

    /// <summary>Identity providers whose JWTs are exchanged for Ably tokens (<c>Auth:Issuers:&lt;i&gt;:…</c>).</summary>
    public List<IssuerOptions> Issuers { get; set; } = [];
}
