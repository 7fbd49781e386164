using AblyAuthServer.Ably;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting.Telemetry;




namespace AblyAuthServer.Tokens;

/// <summary>The audit line and the metric every issued token leaves behind: who, which clientId, which key, how long, what.</summary>
public sealed partial class TokenAudit(AuthMetrics metrics, ILogger<TokenAudit> logger)
{
    public void Issued(string kind, AuthenticatedCaller caller, TokenGrant grant, string keyName)
    {
        LogIssued(logger, kind, caller.Account.UserName, grant.ClientId, keyName, (long)grant.Ttl.TotalMilliseconds, grant.Capability.ToJson());
        metrics.TokenIssued(kind, caller.Account.Roles);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "Issued {TokenKind} to {UserName}: clientId {ClientId}, kid {KeyName}, ttl {TtlMs} ms, capability {Capability}")]
    private static partial void LogIssued(ILogger logger, string tokenKind, string userName, string clientId, string keyName, long ttlMs, string capability);
}
