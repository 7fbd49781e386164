using System.Threading.RateLimiting;
using AblyAuthServer.Hosting;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Redis;
using Microsoft.AspNetCore.RateLimiting;

namespace AblyAuthServer.Throttling;

public static partial class ThrottlingSetup
{
    /// <summary>
    /// The rate limiter middleware's policies (<see cref="RateLimitPartitions.LoginPerIp"/>,
    /// <see cref="RateLimitPartitions.TokensPerUser"/>), the per-user-name login limiter, and 429 responses with
    /// <c>Retry-After</c>, a problem body and, on <c>/ably</c>, the X-Ably error headers.
    /// </summary>
    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<RateLimitingOptions>, RateLimitingOptionsValidator>();
        services.AddSingleton<RateLimitPartitions>();
        services.AddSingleton<Throttling.FixedWindowCounters>();
        services.AddSingleton<Throttling.CredentialGuessingLimits>();
        services.AddSingleton<SharedTokenLimits>();
        services.AddHostedService<SharedTokenLimitsRunner>();

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(RateLimitPartitions.TokensPerUser, context =>
                context.RequestServices.GetRequiredService<RateLimitPartitions>().ByUser(context));
            limiter.OnRejected = (rejected, _) =>
            {
                var context = rejected.HttpContext;
                var policy = context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "unknown";
                return RejectAsync(context, policy, RetryAfter(rejected.Lease), StatusCodes.Status429TooManyRequests, Detail(policy));
            };
        });
        return services;
    }

    /// <summary>Must run after authentication, so the per-user token limit sees the user.</summary>
    public static IApplicationBuilder UseRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    internal static string Detail(string policy) => policy switch
    {
        RateLimitPartitions.LoginPerIp => "Too many login attempts from this address. Try again after the number of seconds in Retry-After.",
        RateLimitPartitions.LoginPerUsername => "Too many login attempts for this user name. Try again after the number of seconds in Retry-After.",
        RateLimitPartitions.TokensPerUser => "Too many token requests for this account. Try again after the number of seconds in Retry-After.",
        _ => "Too many requests. Try again after the number of seconds in Retry-After.",
    };

    /// <summary>The lease's retry hint (a fixed window's time to its next reset), at least one second.</summary>
    internal static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1);

    internal static void Rejected(HttpContext context, string policy, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(retryAfter);
        context.RequestServices.GetRequiredService<AuthMetrics>().RateLimitRejected(policy);
        LogRejected(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ThrottlingSetup).FullName!),
            policy, RateLimitPartitions.ClientIp(context), context.Request.Path);
    }

    private static async ValueTask RejectAsync(HttpContext context, string policy, TimeSpan retryAfter, int status, string detail)
    {
        Rejected(context, policy, retryAfter);
        await ProblemResponses.WriteAsync(context, status, detail);
    }

    internal const string StoreUnavailableDetail =
        "Logins are paused: the shared rate-limit store cannot be reached. Try again after the number of seconds in Retry-After.";

    /// <summary>Runs the token limits' Redis reconciliation only when Redis is configured.</summary>
    private sealed class SharedTokenLimitsRunner(IServiceProvider services) : IHostedService
    {
        private SharedTokenLimits? _limits;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _limits = services.GetRequiredService<Redis.SharedRedis>().IsConfigured ? services.GetRequiredService<SharedTokenLimits>() : null;
            return _limits?.StartAsync(cancellationToken) ?? Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => _limits?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "Rate limit {Policy} refused a request from {ClientIp} to {Path}")]
    private static partial void LogRejected(ILogger logger, string policy, string clientIp, string path);
}
