using AblyAuthServer.Ably;
using AblyAuthServer.Accounts;
using AblyAuthServer.Redis;
using AblyAuthServer.Revocation;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tokens;
using Microsoft.AspNetCore.Cors;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AblyAuthServer.Health;

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    /// <summary>
    /// Liveness (the process serves) and readiness (key loaded, the configured account database and, when configured,
    /// Redis answer and the shared logout list is current). Readiness is Degraded, still 200, while revocations wait
    /// too long for Ably or the clock is skewed: the server works, an operator should look (logs and metrics say why).
    /// </summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<AblyKeyHealthCheck>("ably-key", tags: [ReadyTag])
            // A database host that stops answering would otherwise hold the probe for the driver's connect timeout.
            .AddCheck<AccountStoreHealthCheck>("accounts", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5))
            // Only when Redis:Configuration is set: logins and session token requests need it (fail-closed).
            .AddCheck<RedisSetup.HealthCheck>("redis", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(2))
            // Redis can answer PING yet refuse the logout list's reload (ACLs, a Cluster's cross-slot MGET): such a
            // replica refuses every session token request, so it must not take traffic either.
            .AddCheck<LogoutListHealthCheck>("logout-list", tags: [ReadyTag])
            .AddCheck<RevocationHealthCheck>("revocations", HealthStatus.Degraded, tags: [ReadyTag])
            .AddCheck<AblyClockHealthCheck>("ably-clock", HealthStatus.Degraded, tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Short plain-text bodies on purpose: probes need a status, and details would describe the deployment.
        // Probes come from the orchestrator, not browsers or users: no auth, CORS or rate limit applies.
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).ExcludeFromDescription()
            .AllowAnonymous().WithMetadata(new DisableCorsAttribute()).DisableRateLimiting();
        app.MapHealthChecks("/readyz", new()
            {
                Predicate = check => check.Tags.Contains(ReadyTag),
                ResultStatusCodes =
                {
                    [HealthStatus.Healthy] = StatusCodes.Status200OK,
                    [HealthStatus.Degraded] = StatusCodes.Status200OK,
                    [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
                },
            }).ExcludeFromDescription()
            .AllowAnonymous().WithMetadata(new DisableCorsAttribute()).DisableRateLimiting();
        return app;
    }

    private sealed class LogoutListHealthCheck(IRevokedSessions revoked) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(revoked.IsUpToDate
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The shared logout list is not loaded or not current."));
    }

    private sealed class AccountStoreHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The account store is not reachable.");
        }
    }

    private sealed class AblyKeyHealthCheck(IServiceProvider services) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                _ = services.GetRequiredService<AblyKeySource>().Current;
                return Task.FromResult(HealthCheckResult.Healthy());
            }
            catch (Exception e) when (e is FormatException or Microsoft.Extensions.Options.OptionsValidationException)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("The Ably key is not loaded."));
            }
        }
    }
}
