namespace AblyAuthServer.Authentication;

/// <summary><c>Auth</c>: which credential forms the token endpoints accept.</summary>
public sealed class CallerAuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Accept <c>Authorization: Basic</c> (user name and password on every request).</summary>
    public bool AllowBasic { get; set; } = true;
}
