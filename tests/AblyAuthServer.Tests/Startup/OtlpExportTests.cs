using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Startup;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the real server pushes traces and metrics to that collector.</summary>
public sealed class OtlpExportTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("ably-auth-otlp");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Delete(recursive: true);
    }

    [Fact]
    public async Task Traces_And_Metrics_Reach_An_Otlp_Http_Collector_Named_By_The_Environment()
    {
        var collectorPort = ServerProcess.FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{collectorPort}/");
        collector.Start();
        var received = new ConcurrentDictionary<string, (string ContentType, long Bytes, byte[] Body)>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body, Ct);
                received[context.Request.Url!.AbsolutePath] = (context.Request.ContentType ?? string.Empty, body.Length, body.ToArray());
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }, Ct);

        var port = ServerProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(port, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
            ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(_data.FullName, "accounts.db")}",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{collectorPort}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_SERVICE_NAME"] = "ably-auth-eu-west",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var login = await client.PostAsJsonAsync("/auth/login", new { username = "nobody", password = "not-the-password" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !(received.ContainsKey("/v1/traces") && received.ContainsKey("/v1/metrics")))
        {
            await Task.Delay(100, Ct);
        }

        collector.Stop();
        await receiving;
        Assert.True(received.TryGetValue("/v1/traces", out var traces), $"no traces; got {string.Join(", ", received.Keys)}");
        Assert.True(received.TryGetValue("/v1/metrics", out var metrics), $"no metrics; got {string.Join(", ", received.Keys)}");
        Assert.Equal("application/x-protobuf", traces.ContentType);
        Assert.Equal("application/x-protobuf", metrics.ContentType);
        Assert.True(traces.Bytes > 0 && metrics.Bytes > 0);
        // Protobuf keeps strings as UTF-8 bytes: the resource's service.name is the one the environment gave.
        Assert.True(Contains(traces.Body, "ably-auth-eu-west"u8), "the traces' service.name is not OTEL_SERVICE_NAME");
        Assert.True(Contains(metrics.Body, "ably-auth-eu-west"u8), "the metrics' service.name is not OTEL_SERVICE_NAME");
    }

    private static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
