using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AblyAuthServer.Hosting.Telemetry;

public static class TelemetrySetup
{
    /// <summary>The meter of Kestrel's buffer pool, which the ASP.NET Core instrumentation enables and this server drops.</summary>
    public const string MemoryPoolMeterName = "Microsoft.AspNetCore.MemoryPool";

    /// <summary>
    /// Metrics with OpenTelemetry: ASP.NET Core, Kestrel and runtime instruments and <see cref="AuthMetrics"/>, served to
    /// Prometheus on <c>Metrics:Port</c> only (never on the public port), and exported over OTLP with traces when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Logs go to the console (JSON outside Development, see appsettings).
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();
        builder.Services.AddSingleton<AuthMetrics>();

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            // OTEL_SERVICE_NAME, when set, names the service; the SDK's environment detector would be overridden otherwise.
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "AblyAuthServer"))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(AuthMetrics.MeterName)
                // Kestrel's memory-pool instruments would record on every buffer rented and returned; a dropped
                // instrument is never enabled, so the pool skips them.
                .AddView(instrument => instrument.Meter.Name == MemoryPoolMeterName ? MetricStreamConfiguration.Drop : null)
                // A pull exporter: it costs nothing until scraped, and only the metrics port can scrape it.
                .AddPrometheusExporter());
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddAspNetCoreInstrumentation()).UseOtlpExporter();
        }

        // Kestrel drops the configured URLs as soon as code adds a listener, so the metrics port joins them instead.
        var port = builder.Configuration.GetValue<int?>($"{MetricsOptions.SectionName}:{nameof(MetricsOptions.Port)}");
        if (port is > 0 and <= 65535)
        {
            var host = builder.Configuration[$"{MetricsOptions.SectionName}:{nameof(MetricsOptions.Host)}"] ?? "*";
            builder.WebHost.UseUrls([.. ServerUrls(builder.Configuration), $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}"]);
        }

        return builder;
    }

    /// <summary>
    /// Answers <c>/metrics</c> on connections to <c>Metrics:Port</c>, and nothing else there; goes first, so scrapes skip
    /// the public pipeline. The check is the connection's local port, which (unlike the Host header) a client cannot choose.
    /// </summary>
    public static WebApplication UseMetricsPort(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Port is { } port)
        {
            app.MapWhen(context => context.Connection.LocalPort == port, metrics =>
            {
                metrics.UseOpenTelemetryPrometheusScrapingEndpoint();
                metrics.Run(static context =>
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                });
            });
        }

        return app;
    }

    /// <summary>The URLs Kestrel would use without the metrics port: <c>urls</c>, else the <c>http(s)_ports</c>, else its default.</summary>
    private static List<string> ServerUrls(ConfigurationManager configuration)
    {
        if (configuration["urls"] is { Length: > 0 } urls)
        {
            return [.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        List<string> fromPorts =
        [
            .. Ports(configuration["http_ports"]).Select(p => $"http://*:{p}"),
            .. Ports(configuration["https_ports"]).Select(p => $"https://*:{p}"),
        ];
        return fromPorts.Count > 0 ? fromPorts : ["http://localhost:5000"];

        static string[] Ports(string? list) => list?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
    }
}
