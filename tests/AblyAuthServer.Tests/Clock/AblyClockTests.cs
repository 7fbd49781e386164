using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Clock;

/// <summary>With <c>Ably:ClockCheck</c>, tokens are dated on Ably's clock as <c>/time</c> reports it.</summary>
public sealed class AblyClockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(120)]
    [InlineData(-120)]
    [InlineData(300)]
    public async Task Tokens_Are_Dated_On_Ablys_Clock_While_The_Ttl_Stays_Capped_By_The_Local_Session(int offsetSeconds)
    {
        var offset = TimeSpan.FromSeconds(offsetSeconds);
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], time);
        ably.ClockOffset = offset;
        await using var app = new AblyAuthServerFactory(Settings(ably, ["Sessions:Lifetime", "00:30:00"])) { Time = time };
        await app.CreateUserAsync("alice", ["member"]);
        using var client = app.CreateBearerClient((await app.LoginAsync("alice")).SessionToken);
        await WaitForOffsetAsync(app, offset);

        // Ten minutes of the session left on the local clock: the TTL is those ten minutes, dated on Ably's clock.
        time.Advance(TimeSpan.FromMinutes(20));
        var ablyNow = time.GetUtcNow() + offset;
        var jwt = Jwt.Parse(await client.GetStringAsync("/ably/token", Ct));
        var tokenRequest = await client.GetStringAsync("/ably/token-request", Ct);
        var request = JsonDocument.Parse(tokenRequest).RootElement;

        Assert.Equal(ablyNow.ToUnixTimeSeconds(), jwt.IssuedAt);
        Assert.Equal((ablyNow + TimeSpan.FromMinutes(10)).ToUnixTimeSeconds(), jwt.Expires);
        Assert.Equal(ablyNow.ToUnixTimeMilliseconds(), request.GetProperty("timestamp").GetInt64());
        Assert.Equal(600_000, request.GetProperty("ttl").GetInt64());
        var timeCall = ably.TimeCalls[0];
        Assert.Equal(("6", true), (timeCall.Headers["X-Ably-Version"], timeCall.Headers["Ably-Agent"].StartsWith("ably-auth-server/", StringComparison.Ordinal)));

        // Ably takes the TokenRequest: its timestamp is current on Ably's clock.
        using var exchange = new HttpClient();
        var details = await exchange.PostAsync($"{ably.BaseAddress}/keys/{AblyAuthServerFactory.KeyName}/requestToken",
            new StringContent(tokenRequest, System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, details.StatusCode);
        Assert.Equal(ablyNow.ToUnixTimeMilliseconds() + 600_000, (await details.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("expires").GetInt64());
    }

    [Fact]
    public async Task Without_The_Clock_Check_Tokens_Stay_On_The_Local_Clock_And_Ably_Is_Never_Asked()
    {
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], time);
        ably.ClockOffset = TimeSpan.FromMinutes(2);
        await using var app = new AblyAuthServerFactory(new Dictionary<string, string?> { ["Ably:RestHost"] = ably.BaseAddress }) { Time = time };
        await app.CreateUserAsync("alice", ["member"]);
        using var client = app.CreateBearerClient((await app.LoginAsync("alice")).SessionToken);

        var jwt = Jwt.Parse(await client.GetStringAsync("/ably/token", Ct));

        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), jwt.IssuedAt);
        Assert.Empty(ably.TimeCalls);
    }

    [Fact]
    public async Task Skew_Beyond_Max_Clock_Skew_Keeps_Readyz_200_But_Degraded_And_Says_Why_Only_In_Logs_And_Metrics()
    {
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], time);
        ably.ClockOffset = TimeSpan.FromSeconds(45);
        await using var app = new AblyAuthServerFactory(Settings(ably)) { Time = time };
        using var skew = new MetricCollector<double>(app.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.ably_clock.skew");
        await WaitForOffsetAsync(app, TimeSpan.FromSeconds(45));
        using var probe = app.CreateClient();

        var ready = await probe.GetAsync("/readyz", Ct);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("text/plain", ready.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Degraded", await ready.Content.ReadAsStringAsync(Ct));
        var warning = Assert.Single(app.Logs.GetSnapshot(), e => e.Id.Id == 1401);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("45000 ms off Ably's, over Ably:MaxClockSkew (30000 ms)", warning.Message, StringComparison.Ordinal);
        skew.RecordObservableInstruments();
        Assert.Equal(45, skew.LastMeasurement!.Value);

        // Back within Ably:MaxClockSkew at the next reading: healthy again.
        ably.ClockOffset = TimeSpan.FromSeconds(10);
        await WaitForOffsetAsync(app, TimeSpan.FromSeconds(10));
        Assert.Equal("Healthy", await (await probe.GetAsync("/readyz", Ct)).Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task When_Ably_Cannot_Be_Reached_The_Last_Offset_Stays_And_Issuance_Never_Waits()
    {
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], time);
        ably.ClockOffset = TimeSpan.FromMinutes(2);
        await using var app = new AblyAuthServerFactory(Settings(ably, ["Ably:RestTimeout", "00:00:05"])) { Time = time };
        using var errors = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.ably_rest.errors");
        await app.CreateUserAsync("alice", ["member"]);
        using var client = app.CreateBearerClient((await app.LoginAsync("alice")).SessionToken);
        await WaitForOffsetAsync(app, TimeSpan.FromMinutes(2));
        var shifted = (time.GetUtcNow() + TimeSpan.FromMinutes(2)).ToUnixTimeSeconds();

        // Ably answers with errors: the offset stays, and the failures are counted and logged.
        ably.FailUntilReset(AblyRestEndpoint.Time);
        await ably.Rejections.WaitForCountAsync(3, TimeSpan.FromSeconds(15), Ct);
        await WaitForAsync(() => app.Logs.GetSnapshot().Any(e => e.Id.Id == 1402));
        Assert.Equal(shifted, Jwt.Parse(await client.GetStringAsync("/ably/token", Ct)).IssuedAt);
        Assert.Equal(TimeSpan.FromMinutes(2), app.Services.GetRequiredService<AblyClock>().Offset);
        Assert.Contains("Ably's clock could not be read (50000 (500)", app.Logs.GetSnapshot().First(e => e.Id.Id == 1402).Message, StringComparison.Ordinal);
        Assert.Contains(errors.GetMeasurementSnapshot(), m => (string?)m.Tags["endpoint"] == "time" && (string?)m.Tags["code"] == "50000");

        // Ably does not answer at all: a reading hangs, and tokens are issued at once all the same.
        ably.ClearFaults();
        ably.Hang(AblyRestEndpoint.Time);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        var started = Stopwatch.StartNew();
        var token = await client.GetStringAsync("/ably/token", Ct);
        var elapsed = started.Elapsed;

        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"issuing took {elapsed}");
        Assert.Equal(shifted, Jwt.Parse(token).IssuedAt);
        ably.ClearFaults();
    }

    [Fact]
    public void The_Offset_Is_Ablys_Reading_Against_The_Midpoint_Of_The_Round_Trip()
    {
        var sent = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var local = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(sent);
        var clock = new AblyClock(local);

        var offset = AblyClock.OffsetFrom(sent, sent.AddMilliseconds(30_200), sent.AddMilliseconds(400));
        clock.SetOffset(offset);

        Assert.Equal(TimeSpan.FromSeconds(30), offset);
        Assert.Equal(sent.AddSeconds(30), clock.GetUtcNow());
        Assert.Equal(sent, clock.MeasuredAt);
        local.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(sent.AddMinutes(1).AddSeconds(30), clock.GetUtcNow());
    }

    private static Dictionary<string, string?> Settings(AblyRestStandIn ably, params string[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ably:ClockCheck"] = "true",
            ["Ably:ClockCheckInterval"] = "00:00:01",
            ["Ably:RestHost"] = ably.BaseAddress,
        };
        for (var i = 0; i + 1 < extra.Length; i += 2)
        {
            settings[extra[i]] = extra[i + 1];
        }

        return settings;
    }

    private static async Task WaitForOffsetAsync(AblyAuthServerFactory app, TimeSpan offset)
    {
        var clock = app.Services.GetRequiredService<AblyClock>();
        await WaitForAsync(() => clock.MeasuredAt is not null && clock.Offset == offset);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(20, Ct);
        }
    }
}
