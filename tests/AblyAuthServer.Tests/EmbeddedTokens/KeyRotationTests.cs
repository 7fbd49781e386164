using System.Net;
using System.Text;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>
/// Rotation on the fake clock with the defaults (a key signs for 30 days, is published 2 days before it signs, and stays
/// published for Ably:MaxTtl plus 5 minutes after it stops): every API that caches the key set knows a key before it
/// signs and until its last token has expired.
/// </summary>
public sealed class KeyRotationTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);
    private static readonly TimeSpan Prepublication = TimeSpan.FromDays(2);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1) + TimeSpan.FromMinutes(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(AccountStoreProvider.Sqlite)]
    [InlineData(AccountStoreProvider.Postgres)]
    public async Task The_Next_Key_Is_Published_Before_It_Signs_And_The_Old_One_Until_Its_Tokens_Have_Expired(AccountStoreProvider provider)
    {
        await using var store = await TestAccountStore.CreateAsync(provider);
        await using var factory = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());
        await using var replica = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());
        await factory.CreateUserAsync("alice", ["member"]);
        var start = factory.Time.GetUtcNow();
        var first = Kid(await EmbeddedTokenAsync(factory));

        await AdvanceToAsync(start + Lifetime - Prepublication - TimeSpan.FromMinutes(1), factory, replica);
        Assert.Equal([first], await EmbeddedTokenFixture.PublishedKidsAsync(factory));

        await AdvanceToAsync(start + Lifetime - Prepublication, factory, replica);
        var published = await EmbeddedTokenFixture.PublishedKidsAsync(factory);
        Assert.Equal(2, published.Count);
        var second = Assert.Single(published, kid => kid != first);
        Assert.Equal(published, await EmbeddedTokenFixture.PublishedKidsAsync(replica));
        Assert.Equal(first, Kid(await EmbeddedTokenAsync(factory)));
        Assert.Equal(first, Kid(await EmbeddedTokenAsync(replica)));

        await AdvanceToAsync(start + Lifetime - TimeSpan.FromSeconds(1), factory, replica);
        var lastOfFirst = await EmbeddedTokenAsync(factory);
        Assert.Equal(first, Kid(lastOfFirst));

        await AdvanceToAsync(start + Lifetime, factory, replica);
        Assert.Equal(second, Kid(await EmbeddedTokenAsync(factory)));
        Assert.Equal(second, Kid(await EmbeddedTokenAsync(replica)));
        Assert.True((await EmbeddedTokenFixture.ValidateAsync(factory, lastOfFirst)).IsValid);

        // The last token of the first key expires an hour after it stopped signing; verifiers allow 5 minutes of skew.
        await AdvanceToAsync(start + Lifetime + Retention - TimeSpan.FromSeconds(1), factory, replica);
        Assert.Equal([second, first], await EmbeddedTokenFixture.PublishedKidsAsync(factory));

        await AdvanceToAsync(start + Lifetime + Retention, factory, replica);
        Assert.Equal([second], await EmbeddedTokenFixture.PublishedKidsAsync(factory));
        Assert.Equal([second], await EmbeddedTokenFixture.PublishedKidsAsync(replica));
        Assert.Equal(second, Assert.Single(await EmbeddedTokenFixture.StoredKeysAsync(factory)).Id);
    }

    [Fact]
    public async Task When_Every_Replica_Missed_The_Handover_The_Old_Key_Signs_On_Until_The_New_One_Has_Been_Published()
    {
        await using var store = TestAccountStore.CreateSqlite();
        string first;
        var start = DateTimeOffset.MinValue;
        await using (var before = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings()))
        {
            await before.CreateUserAsync("alice", ["member"]);
            start = before.Time.GetUtcNow();
            first = Kid(await EmbeddedTokenAsync(before));
        }

        // Forty days later the store has no successor: the first key is past its lifetime.
        await using var factory = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());
        factory.Time.SetUtcNow(start + TimeSpan.FromDays(40));

        Assert.Equal(first, Kid(await EmbeddedTokenAsync(factory)));
        var stored = await EmbeddedTokenFixture.StoredKeysAsync(factory);
        Assert.Equal(2, stored.Count);
        Assert.Equal((start + TimeSpan.FromDays(40) + Prepublication).ToUnixTimeMilliseconds(), stored[1].ActivatesAt);

        await AdvanceToAsync(start + TimeSpan.FromDays(40) + Prepublication, factory);
        Assert.Equal(stored[1].Id, Kid(await EmbeddedTokenAsync(factory)));
    }

    [Fact]
    public async Task Configured_Lifetime_And_Prepublication_Set_The_Schedule()
    {
        await using var factory = new AblyAuthServerFactory(EmbeddedTokenFixture.Settings(new Dictionary<string, string?>
        {
            ["EmbeddedTokens:KeyLifetime"] = "7.00:00:00",
            ["EmbeddedTokens:KeyPrepublication"] = "12:00:00",
            ["Ably:MaxTtl"] = "02:00:00",
        }));
        await factory.CreateUserAsync("alice", ["member"]);
        var start = factory.Time.GetUtcNow();
        var first = Kid(await EmbeddedTokenAsync(factory));

        await AdvanceToAsync(start + TimeSpan.FromDays(7) - TimeSpan.FromHours(12), factory);
        var second = Assert.Single(await EmbeddedTokenFixture.PublishedKidsAsync(factory), kid => kid != first);
        await AdvanceToAsync(start + TimeSpan.FromDays(7), factory);
        Assert.Equal(second, Kid(await EmbeddedTokenAsync(factory)));
        await AdvanceToAsync(start + TimeSpan.FromDays(7) + TimeSpan.FromHours(2) + TimeSpan.FromMinutes(5), factory);

        Assert.Equal([second], await EmbeddedTokenFixture.PublishedKidsAsync(factory));
    }

    /// <summary>Moves the shared fake clock and runs each replica's timed reload, as their timers would.</summary>
    private static async Task AdvanceToAsync(DateTimeOffset at, params AblyAuthServerFactory[] replicas)
    {
        foreach (var replica in replicas)
        {
            replica.Time.SetUtcNow(at);
        }

        foreach (var replica in replicas)
        {
            await EmbeddedTokenFixture.RefreshAsync(replica);
        }
    }

    private static string Kid(string token) => Jwt.Parse(token).Header.GetProperty("kid").GetString()!;

    private static async Task<string> EmbeddedTokenAsync(AblyAuthServerFactory factory)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AblyAuthServerFactory.Password}")));
        var response = await client.GetAsync("/ably/embedded-token", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
