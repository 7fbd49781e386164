using System.Net;
using AblyAuthServer.Ably;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace AblyAuthServer.Tokens;

internal static class AblyRestSetup
{
    /// <summary>
    /// Ably's clock (what tokens are minted on), the REST client (a typed HttpClient at <c>Ably:RestHost</c> with a short
    /// per-attempt timeout, two retries of what retrying can fix, an overall timeout and a circuit breaker) and the
    /// clock check. Nothing calls the REST host unless <c>Ably:Revocable</c> or <c>Ably:ClockCheck</c> is on.
    /// </summary>
    public static IServiceCollection AddAblyRest(this IServiceCollection services)
    {
        services.AddSingleton(provider => new AblyClock(provider.GetRequiredService<TimeProvider>()));
        services.AddHttpClient<AblyRestClient>((provider, http) =>
            {
                var options = provider.GetRequiredService<IOptions<AblyOptions>>().Value;
                http.BaseAddress = new Uri(options.RestHost.TrimEnd('/') + "/");
                // The resilience pipeline owns every timeout.
                http.Timeout = Timeout.InfiniteTimeSpan;
                // Ably's answers are a few hundred bytes; anything near this is not Ably.
                http.MaxResponseContentBufferSize = 1024 * 1024;
            })
            // Long-lived users (the outbox worker) keep one client: connections are recycled instead, so DNS changes apply.
            .UseSocketsHttpHandler((handler, _) =>
            {
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
                handler.AllowAutoRedirect = false;
                handler.AutomaticDecompression = DecompressionMethods.All;
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The factory's request logging redacts header values in its message but not in its structured state, which
            // the JSON console writes out: at Trace that would be the key's Basic credentials. The resilience pipeline's
            // own events (method, URI, status) and the callers' log lines say what happened instead.
            .RemoveAllLoggers()
            .AddResilienceHandler("ably-rest", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<AblyOptions>>().Value;
                // Timeouts and backoff are real time, whatever clock the app mints tokens on.
                pipeline.TimeProvider = TimeProvider.System;
                pipeline
                    .AddTimeout((options.RestTimeout * 3) + TimeSpan.FromSeconds(2))
                    .AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = 2,
                        Delay = TimeSpan.FromMilliseconds(500),
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                    })
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        SamplingDuration = TimeSpan.FromSeconds(30) + (options.RestTimeout * 2),
                        MinimumThroughput = 6,
                        FailureRatio = 0.9,
                        BreakDuration = TimeSpan.FromSeconds(5),
                    })
                    .AddTimeout(options.RestTimeout);
            });
        services.AddHostedService<AblyClockCheck>();
        return services;
    }
}
