using AblyAuthServer.Ably;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting.Telemetry;

namespace AblyAuthServer.Tokens;

/// <summary>The audit line and the metric every issued token leaves behind: who, which clientId, which key, how long, what.</summary>
public sealed partial class TokenAudit(AuthMetrics metrics, ILogger<TokenAudit> logger)
{
    public void Issued(string kind, AuthenticatedCaller caller, TokenGrant grant, string keyName)
    {
        var ttl = (long)grant.Ttl.TotalMilliseconds;
        if (caller.Issuer is { } issuer)
        {
            LogIssuedForSubject(logger, kind, caller.Account.UserName, issuer, grant.ClientId, keyName, ttl, grant.Capability.ToJson());
        }
        else
        {
            LogIssued(logger, kind, caller.Account.UserName, grant.ClientId, keyName, ttl, grant.Capability.ToJson());
        }

        metrics.TokenIssued(kind, caller.Account.Roles, caller.Issuer);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Issued {TokenKind} to subject {Subject} of {Issuer}: clientId {ClientId}, kid {KeyName}, ttl {TtlMs} ms, capability {Capability}")]
    private static partial void LogIssuedForSubject(ILogger logger, string tokenKind, string subject, string issuer, string clientId, string keyName, long ttlMs, string capability);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "Issued {TokenKind} to {UserName}: clientId {ClientId}, kid {KeyName}, ttl {TtlMs} ms, capability {Capability}")]
    private static partial void LogIssued(ILogger logger, string tokenKind, string userName, string clientId, string keyName, long ttlMs, string capability);
}
