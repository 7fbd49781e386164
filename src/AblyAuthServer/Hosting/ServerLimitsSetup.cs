using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

public static class ServerLimitsSetup
{
    /// <summary>
    /// Kestrel's header and body limits, the shutdown grace period (<see cref="HostOptions.ShutdownTimeout"/>) and a
    /// request timeout on every endpoint, all from <see cref="HostingOptions"/>.
    /// </summary>
    public static IServiceCollection AddServerLimits(this IServiceCollection services)
    {
        services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HostingOptions>, HostingOptionsValidator>();

        services.AddOptions<HostOptions>().Configure<IOptions<HostingOptions>>((host, hosting) =>
            host.ShutdownTimeout = hosting.Value.ShutdownTimeout);

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HostingOptions>>((kestrel, hosting) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeaderCount = hosting.Value.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestHeadersTotalSize = hosting.Value.MaxRequestHeadersTotalSize;
            kestrel.Limits.MaxRequestBodySize = hosting.Value.MaxRequestBodySize;
        });

        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<HostingOptions>>((timeouts, hosting) =>
            timeouts.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = hosting.Value.RequestTimeout,
                TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
                WriteTimeoutResponse = context => ProblemResponses.WriteAsync(context, StatusCodes.Status504GatewayTimeout,
                    $"The request took longer than the server's {hosting.Value.RequestTimeout.TotalSeconds:0.###} s limit; try again."),
            });
        return services;
    }
}
