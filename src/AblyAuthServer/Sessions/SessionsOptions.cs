namespace AblyAuthServer.Sessions;

/// <summary><c>Sessions</c>: how long a login lasts and how its cookie is sent.</summary>
public sealed class SessionsOptions
{
    public const string SectionName = "Sessions";

    /// <summary>Absolute lifetime from login; not sliding, because the SDK's automatic token refreshes would otherwise keep a session alive forever.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How often a session re-checks its account (removed, password changed, disabled) against the store.</summary>
    public TimeSpan AccountCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
    public string CookieName { get; set; } = "ably_session";

    /// <summary><c>Always</c> (default), or <c>SameAsRequest</c> for local plain-HTTP use.</summary>
    public CookieSecurePolicy CookieSecurePolicy { get; set; } = CookieSecurePolicy.Always;
}
