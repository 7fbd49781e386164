using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Revocation;

/// <summary>Two replicas on one PostgreSQL database share one outbox; their workers must not both send a row.</summary>
public sealed class RevocationReplicaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_Replicas_On_One_PostgreSQL_Database_Send_Each_Revocation_Exactly_Once_While_Ably_Is_Slow()
    {
        var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        await using var _ = store;
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], time);
        // Slow enough that both workers poll many times while a row is in flight: a second send would show.
        ably.Delay(TimeSpan.FromMilliseconds(400), AblyRestEndpoint.RevokeTokens);
        var settings = new Dictionary<string, string?> { ["Ably:RestTimeout"] = "00:00:15", ["Ably:RevocationPollInterval"] = "00:00:00.05" };
        await using var first = await RevocableServer.StartAsync(settings, store, ably, time);
        await using var second = await RevocableServer.StartAsync(settings, store, ably, time);
        ably.Hang(AblyRestEndpoint.RevokeTokens);

        const int Logouts = 12;
        var keys = new List<string>();
        for (var i = 0; i < Logouts; i++)
        {
            var replica = i % 2 == 0 ? first.App : second.App;
            if (i < 2)
            {
                await replica.CreateUserAsync($"user{i}", ["member"]);
            }

            using var client = replica.CreateBearerClient((await replica.LoginAsync($"user{i % 2}")).SessionToken);
            keys.Add(RevocationTriggerTests.RevocationKey(await client.GetStringAsync("/ably/token", Ct)));
            await client.PostAsync("/auth/logout", null, Ct);
        }

        // Both workers have claimed what they could and are waiting on Ably; then Ably answers, slowly.
        await first.WaitForOutboxAsync(rows => rows.Count == Logouts && rows.Count(r => r.LeaseOwner is not null) >= 2);
        ably.ClearFaults();
        ably.Delay(TimeSpan.FromMilliseconds(400), AblyRestEndpoint.RevokeTokens);
        var calls = await ably.RevokeCalls.WaitForCountAsync(Logouts, TimeSpan.FromSeconds(60), Ct);
        var rows = await first.WaitForOutboxAsync(rows => rows.Count == Logouts && rows.All(r => r.State == RevocationState.Delivered), TimeSpan.FromSeconds(30));
        await Task.Delay(1000, Ct);

        Assert.Equal(Logouts, ably.RevokeCalls.Count);
        Assert.Equal(keys.Select(k => $"revocationKey:{k}").Order(StringComparer.Ordinal), calls.Select(c => Assert.Single(c.Targets)).Order(StringComparer.Ordinal));
        Assert.All(rows, row => Assert.Equal(1, row.Attempts));
        var deliveredByFirst = first.App.Logs.GetSnapshot().Count(e => e.Id.Id == 1300);
        var deliveredBySecond = second.App.Logs.GetSnapshot().Count(e => e.Id.Id == 1300);
        Assert.Equal(Logouts, deliveredByFirst + deliveredBySecond);
        Assert.True(deliveredByFirst > 0 && deliveredBySecond > 0, $"first sent {deliveredByFirst}, second {deliveredBySecond}");
    }
}
