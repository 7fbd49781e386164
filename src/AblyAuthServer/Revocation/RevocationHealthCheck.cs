using AblyAuthServer.Tokens;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Revocation;

/// <summary>
/// Degraded (still ready: tokens are issued as usual) while a revocation has waited longer than
/// <c>Ably:RevocationAlertAfter</c>: Ably is unreachable or refusing, and revoked tokens keep working meanwhile.
/// </summary>
internal sealed class RevocationHealthCheck(RevocationStatus status, IOptions<AblyOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(options.Value.Revocable && status.OldestPendingAge > options.Value.RevocationAlertAfter
            ? HealthCheckResult.Degraded("Revocations have been pending longer than Ably:RevocationAlertAfter.")
            : HealthCheckResult.Healthy());
}
