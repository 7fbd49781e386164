using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Keys;

/// <summary>Several keys: the chosen one signs every form, and a keys file is followed without a restart.</summary>
public sealed class SeveralKeysTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_Signing_Key_Signs_Jwts_And_TokenRequests_And_Names_Itself_In_The_Audit()
    {
        await using var app = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey,
            ["Ably:Keys:1"] = AblyAuthServerFactory.SecondApiKey,
            ["Ably:SigningKeyName"] = AblyAuthServerFactory.SecondKeyName,
        });
        await app.CreateUserAsync("alice", ["member"]);
        using var client = app.CreateBearerClient((await app.LoginAsync("alice")).SessionToken);

        var jwt = await client.GetStringAsync("/ably/token", Ct);
        var request = (await client.GetFromJsonAsync<TokenRequest>("/ably/token-request", Ct))!;

        Assert.Equal(AblyAuthServerFactory.SecondKeyName, Jwt.Parse(jwt).Header.GetProperty("kid").GetString());
        Assert.True(Jwt.HasValidSignature(jwt, AblyAuthServerFactory.SecondSecret));
        Assert.False(Jwt.HasValidSignature(jwt, AblyAuthServerFactory.Secret));
        Assert.Equal(AblyAuthServerFactory.SecondKeyName, request.KeyName);
        var expectedMac = AblyKey.Parse(AblyAuthServerFactory.SecondApiKey).ComputeMac(
            TokenRequestSigner.SignText(request.KeyName, request.Ttl, request.Capability, request.ClientId, request.Timestamp, request.Nonce));
        Assert.Equal(expectedMac, request.Mac);
        var audits = app.Logs.GetSnapshot().Where(e => e.Id.Id == 1000).Select(e => e.Message).ToList();
        Assert.Equal(2, audits.Count);
        Assert.All(audits, line => Assert.Contains($"kid {AblyAuthServerFactory.SecondKeyName}", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_Ably_Token_Is_Asked_For_With_The_Signing_Key()
    {
        await using var server = await AblyTokensServer.StartAsync(new Dictionary<string, string?>
        {
            ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey,
            ["Ably:Keys:1"] = AblyAuthServerFactory.SecondApiKey,
            ["Ably:SigningKeyName"] = AblyAuthServerFactory.SecondKeyName,
        });
        server.Ably.AddKey(AblyAuthServerFactory.SecondApiKey, revocableTokens: false);
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");

        var response = await client.GetAsync("/ably/token-details", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var details = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        Assert.Equal(AblyAuthServerFactory.SecondKeyName, details.GetProperty("keyName").GetString());
        var call = Assert.Single(server.Ably.TokenCalls);
        Assert.Equal(AblyAuthServerFactory.SecondKeyName, call.KeyName);
        Assert.Empty(server.Ably.Rejections);
    }

    [Fact]
    public async Task A_Changed_Keys_File_Takes_Effect_Without_A_Restart_And_A_Broken_One_Keeps_The_Signer()
    {
        using var file = new KeysFile(AblyAuthServerFactory.ApiKey);
        await using var app = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Ably:KeysFile"] = file.Path,
            ["Ably:KeysFileCheckInterval"] = "00:00:01",
        });
        await app.CreateUserAsync("alice", ["member"]);
        using var client = app.CreateBearerClient((await app.LoginAsync("alice")).SessionToken);
        Assert.Equal(AblyAuthServerFactory.KeyName, await SignerAsync(client));

        file.Write($"# the new key first: it signs\n{AblyAuthServerFactory.SecondApiKey}\n{AblyAuthServerFactory.ApiKey}\n");
        var switched = await UntilSignerAsync(client, AblyAuthServerFactory.SecondKeyName);
        file.Write($"{AblyAuthServerFactory.SecondApiKey}\nhalf-written-line-{AblyAuthServerFactory.Secret}");
        await UntilLoggedAsync(app, 1601);
        var afterBrokenFile = await SignerAsync(client);

        Assert.True(Jwt.HasValidSignature(switched, AblyAuthServerFactory.SecondSecret));
        Assert.Equal(AblyAuthServerFactory.SecondKeyName, afterBrokenFile);
        var logs = app.Logs.GetSnapshot();
        var reloaded = Assert.Single(logs, e => e.Id.Id == 1600);
        Assert.Equal(
            $"Ably keys reloaded from ABLY_KEYS_FILE: {AblyAuthServerFactory.SecondKeyName}, {AblyAuthServerFactory.KeyName}; signing with {AblyAuthServerFactory.SecondKeyName} (was {AblyAuthServerFactory.KeyName})",
            reloaded.Message);
        var refused = Assert.Single(logs, e => e.Id.Id == 1601);
        Assert.Equal(LogLevel.Error, refused.Level);
        Assert.Contains("line 2 is malformed", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs, e => e.Message.Contains(AblyAuthServerFactory.Secret, StringComparison.Ordinal) || e.Message.Contains(AblyAuthServerFactory.SecondSecret, StringComparison.Ordinal));
    }

    private static async Task<string> SignerAsync(HttpClient client) =>
        Jwt.Parse(await client.GetStringAsync("/ably/token", Ct)).Header.GetProperty("kid").GetString()!;

    private static async Task<string> UntilSignerAsync(HttpClient client, string keyName)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var response = await client.GetAsync("/ably/token", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var token = await response.Content.ReadAsStringAsync(Ct);
            if (Jwt.Parse(token).Header.GetProperty("kid").GetString() == keyName)
            {
                return token;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{keyName} never started signing");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task UntilLoggedAsync(AblyAuthServerFactory app, int eventId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!app.Logs.GetSnapshot().Any(e => e.Id.Id == eventId))
        {
            Assert.True(DateTime.UtcNow < deadline, $"event {eventId} was never logged");
            await Task.Delay(100, Ct);
        }
    }
}
