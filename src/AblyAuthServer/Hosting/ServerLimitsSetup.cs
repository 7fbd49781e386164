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

        // The host and Kestrel read their options while the app is built, before the startup checks run. They take the
        // settings as far as those checks would accept them and leave a bad value to the checks, which report every
        // failing section in one line, instead of throwing here about this section alone.
        services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
            host.ShutdownTimeout = Leniently(configuration).ShutdownTimeout);
        services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>((kestrel, configuration) =>
        {
            var hosting = Leniently(configuration);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeaderCount = hosting.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestHeadersTotalSize = hosting.MaxRequestHeadersTotalSize;
            kestrel.Limits.MaxRequestBodySize = hosting.MaxRequestBodySize;
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

    /// <summary>The Hosting settings, or the defaults if they cannot be read or would not pass validation.</summary>
    private static HostingOptions Leniently(IConfiguration configuration)
    {
        var hosting = new HostingOptions();
        try
        {
            configuration.GetSection(HostingOptions.SectionName).Bind(hosting);
        }
        catch (InvalidOperationException)
        {
            return new HostingOptions();
        }

        return new HostingOptionsValidator().Validate(null, hosting).Succeeded ? hosting : new HostingOptions();
    }
}
