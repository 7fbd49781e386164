using System.Net;
using System.Xml.Linq;
using AblyAuthServer.Accounts;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace AblyAuthServer.Tests.Postgres;

/// <summary>
/// The framework's key repositories read the key rings the app's own repositories wrote before them: rows in the
/// DataProtectionKeys table (FriendlyName, Xml) and XML elements in the Redis list. A session protected with such a
/// key is accepted, so upgrading needs no data migration.
/// </summary>
public sealed class KeyRingCompatibilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Key_Stored_As_A_Row_The_Way_Earlier_Versions_Wrote_It_Still_Opens_Sessions()
    {
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        var (token, key) = await SessionFromAnEarlierKeyRingAsync(store);

        // What the app's own repository did: one row per key, the element as unformatted XML.
        await using (var connection = new NpgsqlConnection(store.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var insert = new NpgsqlCommand("""INSERT INTO "DataProtectionKeys" ("FriendlyName", "Xml") VALUES (@name, @xml)""", connection);
            insert.Parameters.AddWithValue("name", "key-" + key.Attribute("id")!.Value);
            insert.Parameters.AddWithValue("xml", key.ToString(SaveOptions.DisableFormatting));
            await insert.ExecuteNonQueryAsync(Ct);
        }

        await using var upgraded = new AblyAuthServerFactory(store);
        using var client = upgraded.CreateBearerClient(token);
        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).ClientId);
    }

    [Fact]
    public async Task A_Key_Pushed_To_The_Redis_List_The_Way_Earlier_Versions_Wrote_It_Still_Opens_Sessions()
    {
        // A database of its own, so the list is this test's alone.
        var configuration = TestRedis.Configuration + ",defaultDatabase=7";
        await using var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync(AccountStore.RedisKeyRingKey);
        try
        {
            await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Sqlite);
            var settings = TestRedis.Settings(configuration);
            var (token, key) = await SessionFromAnEarlierKeyRingAsync(store, settings);
            await db.ListRightPushAsync(AccountStore.RedisKeyRingKey, key.ToString(SaveOptions.DisableFormatting));

            await using var upgraded = new AblyAuthServerFactory(store, settings);
            using var client = upgraded.CreateBearerClient(token);
            var response = await client.GetAsync("/ably/token", Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("alice", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).ClientId);
            Assert.True(await db.ListLengthAsync(AccountStore.RedisKeyRingKey) >= 1);
        }
        finally
        {
            await db.KeyDeleteAsync(AccountStore.RedisKeyRingKey);
        }
    }

    /// <summary>
    /// Creates alice in the store, then a key outside the app (as an earlier version's repository held it) and a
    /// session token protected with that key alone.
    /// </summary>
    private static async Task<(string Token, XElement Key)> SessionFromAnEarlierKeyRingAsync(TestAccountStore store, Dictionary<string, string?>? settings = null)
    {
        AccountIdentity account;
        string stamp;
        await using (var factory = new AblyAuthServerFactory(store, settings))
        {
            await factory.CreateUserAsync("alice", ["member"]);
            await using var scope = factory.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AccountUser>>();
            var user = (await users.FindByNameAsync("alice"))!;
            account = new AccountIdentity(user.Id, "alice", "alice", ["member"]);
            stamp = user.SecurityStamp!;
        }

        var captured = new CapturingRepository();
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName("AblyAuthServer");
        services.Configure<KeyManagementOptions>(options => options.XmlRepository = captured);
        await using var provider = services.BuildServiceProvider();
        var now = DateTimeOffset.UtcNow;
        using var tokens = new SessionTokens(provider.GetRequiredService<IDataProtectionProvider>());
        var token = tokens.Protect(new SessionTicket(SessionTokens.NewSessionId(), account, stamp, now, now.AddHours(8)));
        return (token, Assert.Single(captured.Elements));
    }

    private sealed class CapturingRepository : IXmlRepository
    {
        public List<XElement> Elements { get; } = [];

        public IReadOnlyCollection<XElement> GetAllElements() => Elements.AsReadOnly();

        public void StoreElement(XElement element, string friendlyName) => Elements.Add(element);
    }
}
