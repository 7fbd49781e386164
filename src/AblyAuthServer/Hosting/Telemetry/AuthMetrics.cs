using System.Diagnostics.Metrics;

namespace AblyAuthServer.Hosting.Telemetry;

/// <summary>
/// The server's own instruments, on the <see cref="MeterName"/> meter. Prometheus names them
/// <c>ably_auth_tokens_issued_total</c>, <c>ably_auth_logins_failed_total</c>, <c>ably_auth_lockouts_total</c> and
/// <c>ably_auth_rate_limit_rejections_total</c>.
/// </summary>
public sealed class AuthMetrics
{
    public const string MeterName = "AblyAuthServer";

    private readonly Counter<long> _tokensIssued;
    private readonly Counter<long> _loginsFailed;
    private readonly Counter<long> _lockouts;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Counter<long> _sharedStoreUnavailable;
    private readonly Counter<long> _issuerRefusals;

    public AuthMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _tokensIssued = meter.CreateCounter<long>("ably_auth.tokens.issued", "{token}", "Ably JWTs and TokenRequests issued, by kind (jwt, token-request), the caller's roles and source (account, or the identity provider's iss).");
        _issuerRefusals = meter.CreateCounter<long>("ably_auth.issuer.refusals", "{request}", "Identity-provider tokens refused, by issuer and reason (invalid, unavailable, forbidden).");
        _loginsFailed = meter.CreateCounter<long>("ably_auth.logins.failed", "{attempt}", "Password checks that failed (login and Basic), by reason (invalid, locked-out).");
        _lockouts = meter.CreateCounter<long>("ably_auth.lockouts", "{lockout}", "User names locked out after too many failed attempts.");
        _sharedStoreUnavailable = meter.CreateCounter<long>("ably_auth.shared_store.unavailable", "{failure}", "Redis calls that failed, by feature (token-limits fall back to per-replica counts).");
        _rateLimitRejections = meter.CreateCounter<long>("ably_auth.rate_limit.rejections", "{request}", "Requests refused with 429 by a rate limit, by policy.");
    }

    /// <param name="kind"><c>jwt</c> or <c>token-request</c>.</param>
    /// <param name="roles">The caller's roles, joined in order into one tag (the set of role combinations is small).</param>
    /// <param name="issuer">The identity provider that vouched for the caller, or null for an account of this server.</param>
    public void TokenIssued(string kind, IEnumerable<string> roles, string? issuer = null) =>
        _tokensIssued.Add(1,
            new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("role", string.Join(',', roles.Order(StringComparer.Ordinal))),
            new KeyValuePair<string, object?>("source", issuer ?? "account"));

    /// <param name="issuer">The configured iss of the provider whose token was refused.</param>
    /// <param name="reason"><c>invalid</c> (401), <c>unavailable</c> (503) or <c>forbidden</c> (403).</param>
    public void IssuerTokenRefused(string issuer, string reason) =>
        _issuerRefusals.Add(1, new KeyValuePair<string, object?>("issuer", issuer), new KeyValuePair<string, object?>("reason", reason));

    public void LoginFailed(bool lockedOut) =>
        _loginsFailed.Add(1, new KeyValuePair<string, object?>("reason", lockedOut ? "locked-out" : "invalid"));

    public void LockedOut() => _lockouts.Add(1);

    public void SharedStoreUnavailable(string feature) => _sharedStoreUnavailable.Add(1, new KeyValuePair<string, object?>("feature", feature));

    public void RateLimitRejected(string policy) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("policy", policy));
}
