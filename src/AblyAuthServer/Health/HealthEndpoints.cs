using AblyAuthServer.Accounts;
using AblyAuthServer.Ably;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AblyAuthServer.Health;

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    /// <summary>Liveness (the process serves) and readiness (key loaded, account store reachable).</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<AblyKeyHealthCheck>("ably-key", tags: [ReadyTag])
            .AddCheck<AccountStoreHealthCheck>("accounts", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Short plain-text bodies on purpose: probes need a status, and details would describe the deployment.
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).ExcludeFromDescription();
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains(ReadyTag) }).ExcludeFromDescription();
        return app;
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
                _ = services.GetRequiredService<AblyKey>();
                return Task.FromResult(HealthCheckResult.Healthy());
            }
            catch (Exception e) when (e is FormatException or Microsoft.Extensions.Options.OptionsValidationException)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("The Ably key is not loaded."));
            }
        }
    }
}
