namespace AblyAuthServer.Accounts;

/// <summary>A session ended by logout before its own expiry; kept until then, so a restart does not revive it.</summary>
public sealed class EndedSession
{
    public const int MaxIdLength = 64;

    public string SessionId { get; set; } = string.Empty;

    /// <summary>When the session would have expired anyway (Unix milliseconds); the row is deleted after that.</summary>
    public long ExpiresAt { get; set; }
}
