using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace AblyAuthServer.Hosting.Telemetry;

/// <summary>
/// The server's own instruments, on the <see cref="MeterName"/> meter. Prometheus names them
/// <c>ably_auth_tokens_issued_total</c>, <c>ably_auth_logins_failed_total</c>, <c>ably_auth_lockouts_total</c>,
/// <c>ably_auth_rate_limit_rejections_total</c>, and for talking to Ably <c>ably_auth_revocations_pending</c>,
/// <c>ably_auth_revocations_oldest_pending_age_seconds</c>, <c>ably_auth_revocations_delivered_total</c>,
/// <c>ably_auth_revocations_expired_total</c>, <c>ably_auth_revocations_failed_total</c>,
/// <c>ably_auth_ably_rest_errors_total</c> and <c>ably_auth_ably_clock_skew_seconds</c>.
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
    private readonly Counter<long> _revocationsDelivered;
    private readonly Counter<long> _revocationsExpired;
    private readonly Counter<long> _revocationsFailed;
    private readonly Counter<long> _ablyRestErrors;

    // Written by the outbox worker and the clock check, read by the exporter; null until first observed.
    private volatile StrongBox<(int Pending, double OldestAgeSeconds)>? _revocationBacklog;
    private volatile StrongBox<double>? _clockSkewSeconds;

    public AuthMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _tokensIssued = meter.CreateCounter<long>("ably_auth.tokens.issued", "{token}", "Ably JWTs, TokenRequests and Ably Tokens issued, by kind (jwt, token-request, token-details), the caller's roles and source (account, or the identity provider's iss).");
        _issuerRefusals = meter.CreateCounter<long>("ably_auth.issuer.refusals", "{request}", "Identity-provider tokens refused, by issuer and reason (invalid, unavailable, forbidden).");
        _loginsFailed = meter.CreateCounter<long>("ably_auth.logins.failed", "{attempt}", "Password checks that failed (login and Basic), by reason (invalid, locked-out).");
        _lockouts = meter.CreateCounter<long>("ably_auth.lockouts", "{lockout}", "User names locked out after too many failed attempts.");
        _sharedStoreUnavailable = meter.CreateCounter<long>("ably_auth.shared_store.unavailable", "{failure}", "Redis calls that failed, by feature (token-limits fall back to per-replica counts).");
        _rateLimitRejections = meter.CreateCounter<long>("ably_auth.rate_limit.rejections", "{request}", "Requests refused with 429 by a rate limit, by policy.");
        _revocationsDelivered = meter.CreateCounter<long>("ably_auth.revocations.delivered", "{revocation}", "Revocations Ably accepted, by reason (logout, set-password, disable, remove, revoke-tokens).");
        _revocationsExpired = meter.CreateCounter<long>("ably_auth.revocations.expired", "{revocation}", "Revocations dropped undelivered because every token they covered had expired, by reason.");
        _revocationsFailed = meter.CreateCounter<long>("ably_auth.revocations.failed", "{revocation}", "Revocations Ably refused for good (kept as Failed in the outbox), by reason and Ably error code.");
        _ablyRestErrors = meter.CreateCounter<long>("ably_auth.ably_rest.errors", "{error}", "Failed calls to Ably's REST API, by endpoint and Ably error code (or timeout, unreachable, invalid-answer, circuit-open).");
        meter.CreateObservableGauge("ably_auth.revocations.pending", () => Observe(_revocationBacklog, b => (long)b.Pending), "{revocation}",
            "Revocations in the outbox not yet delivered, as this replica's worker last read it.");
        meter.CreateObservableGauge("ably_auth.revocations.oldest_pending_age", () => Observe(_revocationBacklog, b => b.OldestAgeSeconds), "s",
            "How long the oldest pending revocation has waited.");
        meter.CreateObservableGauge("ably_auth.ably_clock.skew", () => Observe(_clockSkewSeconds, s => s), "s",
            "Ably's clock minus the local clock, as last measured (Ably:ClockCheck).");
    }

    /// <param name="kind"><c>jwt</c>, <c>token-request</c> or <c>token-details</c>.</param>
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

    public void RevocationDelivered(string reason) => _revocationsDelivered.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RevocationExpired(string reason) => _revocationsExpired.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RevocationFailed(string reason, int code) =>
        _revocationsFailed.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("code", code.ToString(CultureInfo.InvariantCulture)));

    /// <param name="endpoint"><c>revokeTokens</c>, <c>requestToken</c> or <c>time</c>.</param>
    /// <param name="code">
    /// Ably's error code; <c>timeout</c> / <c>unreachable</c> when no answer came; <c>invalid-answer</c> when the answer
    /// could not be used; <c>circuit-open</c> when the call was not made because recent calls kept failing.
    /// </param>
    public void AblyRestError(string endpoint, string code) =>
        _ablyRestErrors.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("code", code));

    public void RevocationBacklog(int pending, TimeSpan oldestAge) => _revocationBacklog = new((pending, oldestAge.TotalSeconds));

    public void ClockSkew(TimeSpan offset) => _clockSkewSeconds = new(offset.TotalSeconds);

    private static IEnumerable<Measurement<T>> Observe<TState, T>(StrongBox<TState>? box, Func<TState, T> value)
        where T : struct =>
        box is null ? [] : [new Measurement<T>(value(box.Value!))];
}
