using System.Net;
using AblyAuthServer.Ably;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace AblyAuthServer.Tokens;

internal static class AblyRestSetup
{
    /// <summary>The pipeline each Ably Token is obtained through; its callback signs a new TokenRequest per attempt.</summary>
    public const string RequestTokenPipeline = "ably-request-token";

    /// <summary>How long the <see cref="RequestTokenPipeline"/> stops calling Ably once its circuit opens.</summary>
    public static readonly TimeSpan RequestTokenBreakDuration = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What another attempt may fix: Ably's 5xx, 408 and 429, no answer, or an attempt that timed out. Not a refusal
    /// (a bad key, a capability the key does not permit), nor an answer that could not be used.
    /// </summary>
    private static readonly PredicateBuilder<object> RetryingCanFix = new PredicateBuilder()
        .Handle<AblyRestException>(e => !e.Error.IsPermanent)
        .Handle<HttpRequestException>()
        .Handle<TimeoutRejectedException>();

    /// <summary>
    /// Ably's clock (what tokens are minted on), the REST client (a typed HttpClient at <c>Ably:RestHost</c> with a short
    /// per-attempt timeout, two retries of what retrying can fix, an overall timeout and a circuit breaker), the
    /// single-attempt client and pipeline for Ably Tokens, and the clock check. Nothing calls the REST host unless
    /// <c>Ably:Revocable</c>, <c>Ably:AblyTokens</c> or <c>Ably:ClockCheck</c> is on.
    /// </summary>
    public static IServiceCollection AddAblyRest(this IServiceCollection services)
    {
        services.AddSingleton(provider => new AblyClock(provider.GetRequiredService<TimeProvider>()));
        services.AddHttpClient<AblyRestClient>(ConfigureClient)
            .ConfigureHandler()
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

        // A requestToken sent twice carries a spent nonce, which Ably refuses: this client never resends a request, and
        // its resilience lives in the pipeline below, around the signing.
        services.AddHttpClient(AblyRestClient.SingleAttemptClientName, ConfigureClient).ConfigureHandler();
        services.AddResiliencePipeline(RequestTokenPipeline, (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<AblyOptions>>().Value;
            pipeline.TimeProvider = TimeProvider.System;
            pipeline
                .AddTimeout(options.AblyTokenTimeout)
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = RetryingCanFix,
                    MaxRetryAttempts = 2,
                    // Short: a caller is waiting, and ably-js gives the whole authUrl request 10 s.
                    Delay = TimeSpan.FromMilliseconds(100),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                })
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    ShouldHandle = RetryingCanFix,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    MinimumThroughput = 6,
                    FailureRatio = 0.9,
                    BreakDuration = RequestTokenBreakDuration,
                })
                .AddTimeout(options.AblyTokenAttemptTimeout);
        });
        services.AddSingleton<AblyTokenExchange>();
        services.AddHostedService<AblyClockCheck>();
        return services;
    }

    private static void ConfigureClient(IServiceProvider provider, HttpClient http)
    {
        var options = provider.GetRequiredService<IOptions<AblyOptions>>().Value;
        http.BaseAddress = new Uri(options.RestHost.TrimEnd('/') + "/");
        // The resilience pipeline owns every timeout.
        http.Timeout = Timeout.InfiniteTimeSpan;
        // Ably's answers are a few hundred bytes; anything near this is not Ably.
        http.MaxResponseContentBufferSize = 1024 * 1024;
    }

    private static IHttpClientBuilder ConfigureHandler(this IHttpClientBuilder builder) => builder
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
        .RemoveAllLoggers();
}
