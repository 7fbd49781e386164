using AblyAuthServer.Ably;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary>
/// Degraded (still ready: tokens are minted on Ably's clock) while the measured skew exceeds <c>Ably:MaxClockSkew</c>:
/// the host's own time sync is broken, and everything else on it that trusts the clock is off too.
/// </summary>
internal sealed class AblyClockHealthCheck(AblyClock clock, IOptions<AblyOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(options.Value.ClockCheck && clock.MeasuredAt is not null && clock.Offset.Duration() > options.Value.MaxClockSkew
            ? HealthCheckResult.Degraded("The local clock is further from Ably's than Ably:MaxClockSkew.")
            : HealthCheckResult.Healthy());
}
