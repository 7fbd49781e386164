using System.Diagnostics.Metrics;
using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Revocation;

/// <summary>How the outbox worker gets revocations to Ably through failures, refusals, restarts and time.</summary>
public sealed class RevocationDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_500_From_Ably_Is_Retried_And_The_Revocation_Delivered()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        var key = RevocationTriggerTests.RevocationKey(await client.GetStringAsync("/ably/token", Ct));
        // More failures than the HTTP client retries by itself: the outbox's own backoff has to take over.
        server.Ably.FailNext(AblyRestEndpoint.RevokeTokens, count: 4);

        await client.PostAsync("/auth/logout", null, Ct);

        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, TimeSpan.FromSeconds(20), Ct));
        Assert.Equal([$"revocationKey:{key}"], call.Targets);
        var rejections = server.Ably.Rejections.Snapshot();
        Assert.Equal(4, rejections.Count);
        Assert.All(rejections, r => Assert.Equal((AblyRestEndpoint.RevokeTokens, 50000, true), (r.Endpoint!.Value, r.Error.Code, r.Injected)));
        var row = Assert.Single(await server.WaitForOutboxAsync(RevocationTriggerTests.Delivered(1)));
        Assert.True(row.Attempts >= 2, $"delivered on attempt {row.Attempts}");
        Assert.Null(row.LastError);
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1301 && e.Level == LogLevel.Warning
            && e.Message.Contains("did not reach Ably", StringComparison.Ordinal) && e.Message.Contains("50000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Timeout_Is_Retried_And_The_Revocation_Delivered_Once_Ably_Answers()
    {
        await using var server = await RevocableServer.StartAsync(new Dictionary<string, string?> { ["Ably:RestTimeout"] = "00:00:00.3" });
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        var key = RevocationTriggerTests.RevocationKey(await client.GetStringAsync("/ably/token", Ct));
        server.Ably.Hang(AblyRestEndpoint.RevokeTokens);

        var logout = await client.PostAsync("/auth/logout", null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        var timedOut = await server.WaitForOutboxAsync(rows => rows is [{ LastError: not null }]);
        server.Ably.ClearFaults();

        Assert.Equal(RevocationState.Pending, timedOut[0].State);
        Assert.Contains("Timeout", timedOut[0].LastError, StringComparison.OrdinalIgnoreCase);
        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, TimeSpan.FromSeconds(20), Ct));
        Assert.Equal([$"revocationKey:{key}"], call.Targets);
        await server.WaitForOutboxAsync(RevocationTriggerTests.Delivered(1));
    }

    [Fact]
    public async Task An_Ably_Outage_Across_A_Server_Restart_Loses_No_Revocation()
    {
        var store = TestAccountStore.CreateSqlite();
        await using var _ = store;
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], time);
        ably.FailUntilReset(AblyRestEndpoint.RevokeTokens);
        string sessionKey;
        await using (var before = await RevocableServer.StartAsync(store: store, ably: ably, time: time))
        {
            await before.App.CreateUserAsync("alice", ["member"]);
            await before.App.CreateUserAsync("bob", ["member"]);
            using var client = before.App.CreateBearerClient((await before.App.LoginAsync("alice")).SessionToken);
            sessionKey = RevocationTriggerTests.RevocationKey(await client.GetStringAsync("/ably/token", Ct));
            await client.PostAsync("/auth/logout", null, Ct);
            Assert.Null(await before.App.WithAccountsAsync(accounts => accounts.SetDisabledAsync("bob", disabled: true)));
            await before.WaitForOutboxAsync(rows => rows.Count == 2 && rows.All(r => r.Attempts >= 1 && r.State == RevocationState.Pending));
        }

        Assert.Empty(ably.RevokeCalls);
        ably.ClearFaults();
        await using var after = await RevocableServer.StartAsync(store: store, ably: ably, time: time);

        var calls = await ably.RevokeCalls.WaitForCountAsync(2, TimeSpan.FromSeconds(20), Ct);
        Assert.Equal([$"revocationKey:{sessionKey}"], calls.Single(c => c.Targets[0].StartsWith("revocationKey:", StringComparison.Ordinal)).Targets);
        Assert.Equal("clientId:bob", calls.Single(c => c.Targets[0].StartsWith("clientId:", StringComparison.Ordinal)).Targets[0]);
        var rows = await after.WaitForOutboxAsync(RevocationTriggerTests.Delivered(2));
        Assert.Equal(["logout", "disable"], rows.Select(r => r.Reason));
    }

    [Fact]
    public async Task A_40163_Refusal_Marks_The_Entry_Failed_Logs_An_Error_Counts_It_And_Later_Entries_Still_Go()
    {
        await using var server = await RevocableServer.StartAsync();
        var meters = server.App.Services.GetRequiredService<IMeterFactory>();
        using var failed = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.revocations.failed");
        using var delivered = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.revocations.delivered");
        using var errors = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.ably_rest.errors");
        await server.App.CreateUserAsync("alice", ["member"]);
        await server.App.CreateUserAsync("bob", ["member"]);
        server.Ably.FailNext(AblyRestEndpoint.RevokeTokens, error: new AblyRestError(HttpStatusCode.BadRequest, 40163, "Revocable tokens are not enabled for this key"));

        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: true)));
        await server.WaitForOutboxAsync(rows => rows is [{ State: RevocationState.Failed }]);
        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.SetDisabledAsync("bob", disabled: true)));

        var rows = await server.WaitForOutboxAsync(rows => rows.Count == 2 && rows[1].State == RevocationState.Delivered);
        Assert.Equal((RevocationState.Failed, 1), (rows[0].State, rows[0].Attempts));
        Assert.Equal("40163 (400): Revocable tokens are not enabled for this key", rows[0].LastError);
        Assert.NotNull(rows[0].CompletedAt);
        Assert.Equal(["clientId:bob"], Assert.Single(server.Ably.RevokeCalls).Targets.Take(1));
        var error = Assert.Single(server.App.Logs.GetSnapshot(), e => e.Level == LogLevel.Error);
        Assert.Equal(1302, error.Id.Id);
        Assert.Contains("Ably refused to revoke alice's tokens (disable", error.Message, StringComparison.Ordinal);
        Assert.Contains("40163", error.Message, StringComparison.Ordinal);
        var failure = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal((1L, "disable", "40163"), (failure.Value, failure.Tags["reason"], failure.Tags["code"]));
        Assert.Equal("disable", Assert.Single(delivered.GetMeasurementSnapshot()).Tags["reason"]);
        var restError = Assert.Single(errors.GetMeasurementSnapshot());
        Assert.Equal(("revokeTokens", "40163"), (restError.Tags["endpoint"], restError.Tags["code"]));
    }

    [Fact]
    public async Task Entries_Older_Than_The_Max_Ttl_Become_Expired_And_Are_Never_Sent()
    {
        await using var server = await RevocableServer.StartAsync(new Dictionary<string, string?> { ["Ably:MaxTtl"] = "00:30:00", ["Ably:DefaultTtl"] = "00:30:00" });
        using var expired = new MetricCollector<long>(server.App.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.revocations.expired");
        await server.App.CreateUserAsync("alice", ["member"]);
        server.Ably.FailUntilReset(AblyRestEndpoint.RevokeTokens);
        using var client = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        await client.PostAsync("/auth/logout", null, Ct);
        await server.WaitForOutboxAsync(rows => rows is [{ Attempts: >= 1 }]);

        server.Time.Advance(TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(1));
        var row = Assert.Single(await server.WaitForOutboxAsync(rows => rows is [{ State: RevocationState.Expired }]));
        server.Ably.ClearFaults();
        await Task.Delay(500, Ct);

        Assert.Empty(server.Ably.RevokeCalls);
        Assert.NotNull(row.CompletedAt);
        Assert.Equal("logout", Assert.Single(expired.GetMeasurementSnapshot()).Tags["reason"]);
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1303 && e.Message.Contains("every token it covered has expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readyz_Stays_200_But_Says_Degraded_While_A_Revocation_Waits_Longer_Than_The_Alert_And_The_Body_Says_No_More()
    {
        await using var server = await RevocableServer.StartAsync(new Dictionary<string, string?> { ["Ably:RevocationAlertAfter"] = "00:00:05" });
        var meters = server.App.Services.GetRequiredService<IMeterFactory>();
        using var pending = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.revocations.pending");
        using var age = new MetricCollector<double>(meters, AuthMetrics.MeterName, "ably_auth.revocations.oldest_pending_age");
        await server.App.CreateUserAsync("alice", ["member"]);
        server.Ably.FailUntilReset(AblyRestEndpoint.RevokeTokens);
        using var probe = server.App.CreateClient();
        Assert.Equal("Healthy", await (await probe.GetAsync("/readyz", Ct)).Content.ReadAsStringAsync(Ct));
        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.RevokeTokensAsync("alice")));
        await server.WaitForOutboxAsync(rows => rows is [{ Attempts: >= 1 }]);

        server.Time.Advance(TimeSpan.FromSeconds(6));
        var degraded = await Polling.UntilStatusAsync(() => probe.GetAsync("/readyz", Ct), HttpStatusCode.OK, TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var body = await degraded.Content.ReadAsStringAsync(Ct);
        while (body != "Degraded" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
            body = await (await probe.GetAsync("/readyz", Ct)).Content.ReadAsStringAsync(Ct);
        }

        Assert.Equal("Degraded", body);
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1304 && e.Level == LogLevel.Warning
            && e.Message.Contains("over Ably:RevocationAlertAfter", StringComparison.Ordinal));
        pending.RecordObservableInstruments();
        age.RecordObservableInstruments();
        Assert.Equal(1, pending.LastMeasurement!.Value);
        Assert.True(age.LastMeasurement!.Value >= 6, $"oldest pending age {age.LastMeasurement.Value} s");

        server.Ably.ClearFaults();
        await server.WaitForOutboxAsync(RevocationTriggerTests.Delivered(1), TimeSpan.FromSeconds(90));
        await Polling.UntilStatusAsync(() => probe.GetAsync("/readyz", Ct), HttpStatusCode.OK, TimeSpan.FromSeconds(5));
        deadline = DateTime.UtcNow.AddSeconds(5);
        while ((body = await (await probe.GetAsync("/readyz", Ct)).Content.ReadAsStringAsync(Ct)) != "Healthy" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal("Healthy", body);
    }
}
