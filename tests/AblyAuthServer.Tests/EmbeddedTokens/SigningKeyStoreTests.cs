using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using AblyAuthServer.Accounts;
using AblyAuthServer.EmbeddedTokens;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>
/// The signing key lives in the account store, SQLite or PostgreSQL: created once, shared by replicas, kept across
/// restarts, its private half only as data protection ciphertext.
/// </summary>
public sealed class SigningKeyStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(AccountStoreProvider.Sqlite)]
    [InlineData(AccountStoreProvider.Postgres)]
    public async Task The_First_Start_Creates_One_Key_That_Another_Replica_And_A_Restart_Use(AccountStoreProvider provider)
    {
        await using var store = await TestAccountStore.CreateAsync(provider);
        string kid;
        await using (var first = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings()))
        {
            await first.CreateUserAsync("alice", ["member"]);
            kid = Assert.Single(await EmbeddedTokenFixture.PublishedKidsAsync(first));
            await using var second = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());

            var token = await EmbeddedTokenAsync(second);

            Assert.Equal([kid], await EmbeddedTokenFixture.PublishedKidsAsync(second));
            Assert.Equal(kid, Jwt.Parse(token).Header.GetProperty("kid").GetString());
            // Verified with the key set of the replica that did not sign it.
            Assert.True((await EmbeddedTokenFixture.ValidateAsync(first, token)).IsValid);
        }

        await using var restarted = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());

        Assert.Equal(kid, Jwt.Parse(await EmbeddedTokenAsync(restarted)).Header.GetProperty("kid").GetString());
        Assert.Equal(kid, Assert.Single(await EmbeddedTokenFixture.StoredKeysAsync(restarted)).Id);
    }

    [Theory]
    [InlineData(AccountStoreProvider.Sqlite)]
    [InlineData(AccountStoreProvider.Postgres)]
    public async Task Replicas_Starting_Together_On_A_New_Store_Agree_On_One_Key(AccountStoreProvider provider)
    {
        await using var store = await TestAccountStore.CreateAsync(provider);
        await using var first = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());
        await using var second = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());

        // Starting runs the migration and then the key check; both replicas find no key and try to create one.
        await Task.WhenAll(Task.Run(() => first.Server, Ct), Task.Run(() => second.Server, Ct));
        await EmbeddedTokenFixture.RefreshAsync(first);
        await EmbeddedTokenFixture.RefreshAsync(second);

        var stored = Assert.Single(await EmbeddedTokenFixture.StoredKeysAsync(first));
        Assert.Equal([stored.Id], await EmbeddedTokenFixture.PublishedKidsAsync(first));
        Assert.Equal([stored.Id], await EmbeddedTokenFixture.PublishedKidsAsync(second));
    }

    [Theory]
    [InlineData(AccountStoreProvider.Sqlite)]
    [InlineData(AccountStoreProvider.Postgres)]
    public async Task The_Store_Refuses_A_Second_Key_For_A_Generation_It_Already_Holds(AccountStoreProvider provider)
    {
        await using var factory = await AblyAuthServerFactory.CreateAsync(provider, EmbeddedTokenFixture.Settings());
        _ = factory.Server;
        var keys = factory.Services.GetRequiredService<SigningKeyStore>();
        var now = factory.Time.GetUtcNow();

        var added = await keys.TryAddAsync(keys.Create(1, now, now), Ct);

        Assert.False(added);
        Assert.Single(await EmbeddedTokenFixture.StoredKeysAsync(factory));
    }

    [Theory]
    [InlineData(AccountStoreProvider.Sqlite)]
    [InlineData(AccountStoreProvider.Postgres)]
    public async Task The_Private_Key_Is_Stored_Only_As_Data_Protection_Ciphertext(AccountStoreProvider provider)
    {
        await using var factory = await AblyAuthServerFactory.CreateAsync(provider, EmbeddedTokenFixture.Settings());
        var signer = await factory.Services.GetRequiredService<EmbeddedSigningKeys>().SignerAsync(Ct);
        var d = ((ECDsaSecurityKey)signer!.Credentials!.Key).ECDsa.ExportParameters(includePrivateParameters: true).D!;

        var row = Assert.Single(await EmbeddedTokenFixture.StoredKeysAsync(factory));

        var text = row.ProtectedPrivateKey;
        foreach (var encoding in new[] { Base64Url.EncodeToString(d), Convert.ToBase64String(d), Convert.ToHexString(d), Convert.ToHexStringLower(d) })
        {
            Assert.DoesNotContain(encoding, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("\"d\"", text, StringComparison.Ordinal);
        var stored = Base64Url.DecodeFromChars(text);
        Assert.Equal(-1, stored.AsSpan().IndexOf(d));
        using (var attempt = ECDsa.Create())
        {
            Assert.ThrowsAny<CryptographicException>(() => attempt.ImportPkcs8PrivateKey(stored, out _));
        }

        Assert.ThrowsAny<Exception>(() => System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(stored)));
        // It is the app's data protection that reads it back, under the feature's own purpose.
        var pkcs8 = factory.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(SigningKeyStore.ProtectionPurpose).Unprotect(stored);
        using var readBack = ECDsa.Create();
        readBack.ImportPkcs8PrivateKey(pkcs8, out _);
        Assert.Equal(d, readBack.ExportParameters(includePrivateParameters: true).D);
        Assert.ThrowsAny<CryptographicException>(() =>
            factory.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("another purpose").Unprotect(stored));
    }

    [Fact]
    public async Task A_Replica_Whose_Key_Ring_Cannot_Read_The_Key_Answers_503_Still_Publishes_And_Logs_Why()
    {
        await using var store = TestAccountStore.CreateSqlite();
        string kid;
        await using (var first = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings()))
        {
            await first.CreateUserAsync("alice", ["member"]);
            kid = Assert.Single(await EmbeddedTokenFixture.PublishedKidsAsync(first));
        }

        // Another key ring than the one that protected the key: what a replica without the shared ring would have.
        Directory.Delete(Path.Combine(store.Directory, "keys"), recursive: true);
        await using var other = new AblyAuthServerFactory(store, EmbeddedTokenFixture.Settings());
        using var client = other.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AblyAuthServerFactory.Password}")));

        var response = await client.GetAsync("/ably/embedded-token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "cannot unprotect the stored key");
        Assert.Equal("50300", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal([kid], await EmbeddedTokenFixture.PublishedKidsAsync(other));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
        Assert.Contains(other.Logs.GetSnapshot(), r => r.Id.Id == 6003 && r.Message.Contains(kid, StringComparison.Ordinal)
            && r.Message.Contains("data protection key ring", StringComparison.Ordinal));
    }

    private static async Task<string> EmbeddedTokenAsync(AblyAuthServerFactory factory)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AblyAuthServerFactory.Password}")));
        var response = await client.GetAsync("/ably/embedded-token", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
