using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

public static class ServerLimits
{
    /// <summary>
    /// Kestrel's header and body limits, the shutdown grace period (<see cref="HostOptions.ShutdownTimeout"/>) and a
    /// request timeout on every endpoint, all from <see cref="HostingOptions"/>.
    /// </summary>
    public static IServiceCollection AddServerLimits(this IServiceCollection services)
    {
        services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.SectionName)
            .Validate(o => o.ShutdownTimeout > TimeSpan.Zero && o.ShutdownTimeout <= TimeSpan.FromMinutes(10),
                "Hosting:ShutdownTimeout (HOSTING__SHUTDOWNTIMEOUT) must be between 00:00:00.001 and 00:10:00.")
            .Validate(o => o.RequestTimeout > TimeSpan.Zero && o.RequestTimeout <= TimeSpan.FromMinutes(5),
                "Hosting:RequestTimeout (HOSTING__REQUESTTIMEOUT) must be between 00:00:00.001 and 00:05:00.")
            .Validate(o => o.MaxRequestHeaderCount is >= 16 and <= 1000,
                "Hosting:MaxRequestHeaderCount (HOSTING__MAXREQUESTHEADERCOUNT) must be between 16 and 1000.")
            .Validate(o => o.MaxRequestHeadersTotalSize is >= 8 * 1024 and <= 1024 * 1024,
                "Hosting:MaxRequestHeadersTotalSize (HOSTING__MAXREQUESTHEADERSTOTALSIZE) must be between 8192 and 1048576 bytes.")
            .Validate(o => o.MaxRequestBodySize is >= SmallBody.MaxBytes and <= 100 * 1024 * 1024,
                $"Hosting:MaxRequestBodySize (HOSTING__MAXREQUESTBODYSIZE) must be between {SmallBody.MaxBytes} and 104857600 bytes.")
            .ValidateOnStart();

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
