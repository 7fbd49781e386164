using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Keys;

/// <summary>
/// The rotation runbook, step by step, with requests at every step: add the new key, switch the signer, wait one
/// maximum TTL, remove the old key. Every request succeeds, every token is signed by a key Ably holds at that moment,
/// and no token of the old key is still alive when Ably forgets it.
/// </summary>
public sealed class KeyRotationTests
{
    private static readonly AblyKey OldKey = AblyKey.Parse(AblyAuthServerFactory.ApiKey);
    private static readonly AblyKey NewKey = AblyKey.Parse(AblyAuthServerFactory.SecondApiKey);
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rotating_By_Changing_The_Keys_File_Fails_No_Request()
    {
        var ably = new AblyKeys(OldKey);
        using var file = new KeysFile(AblyAuthServerFactory.ApiKey);
        await using var app = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Ably:KeysFile"] = file.Path,
            ["Ably:KeysFileCheckInterval"] = "00:00:01",
        });
        await app.CreateUserAsync("alice", ["member"]);
        var session = (await app.LoginAsync("alice")).SessionToken;
        using var client = app.CreateBearerClient(session);
        var issued = new List<Issued>();
        await RequestAsync(client, app, ably, issued);

        // 1. Add the new key: first at Ably, then in the file, after the old one, which keeps signing.
        ably.Add(NewKey);
        file.Write(AblyAuthServerFactory.ApiKey, AblyAuthServerFactory.SecondApiKey);
        await RequestForAsync(client, app, ably, issued, TimeSpan.FromSeconds(2.5));
        Assert.All(issued, token => Assert.Equal(OldKey.Name, token.KeyName));

        // 2. Switch the signer: the new key first.
        file.Write(AblyAuthServerFactory.SecondApiKey, AblyAuthServerFactory.ApiKey);
        await RequestForAsync(client, app, ably, issued, TimeSpan.FromSeconds(2.5));
        Assert.Equal(NewKey.Name, issued[^1].KeyName);

        // 3. Wait one maximum TTL: every token the old key signed has expired.
        app.Time.Advance(MaxTtl + TimeSpan.FromSeconds(1));
        await RequestAsync(client, app, ably, issued);

        // 4. Remove the old key: from the file, then from Ably.
        Assert.All(issued.Where(token => token.KeyName == OldKey.Name), token => Assert.True(token.Expires <= app.Time.GetUtcNow()));
        file.Write(AblyAuthServerFactory.SecondApiKey);
        await RequestForAsync(client, app, ably, issued, TimeSpan.FromSeconds(2.5));
        ably.Remove(OldKey);
        await RequestAsync(client, app, ably, issued);

        Assert.Contains(issued, token => token.KeyName == OldKey.Name);
        Assert.Equal(NewKey.Name, issued[^1].KeyName);
    }

    [Fact]
    public async Task Rotating_By_Restarting_Two_Replicas_One_At_A_Time_Fails_No_Request()
    {
        var ably = new AblyKeys(OldKey);
        await using var store = TestAccountStore.CreateSqlite();
        var time = AblyAuthServerFactory.NewTime();
        var replicas = new AblyAuthServerFactory?[2];
        replicas[0] = Replica(store, time, [AblyAuthServerFactory.ApiKey]);
        replicas[1] = Replica(store, time, [AblyAuthServerFactory.ApiKey]);
        await replicas[0]!.CreateUserAsync("alice", ["member"]);
        var session = (await replicas[0]!.LoginAsync("alice")).SessionToken;
        var issued = new List<Issued>();
        try
        {
            await RequestBothAsync();

            // 1. Add the new key at Ably, then on each replica in turn; the old key still signs.
            ably.Add(NewKey);
            await RestartEachAsync([AblyAuthServerFactory.ApiKey, AblyAuthServerFactory.SecondApiKey], signingKeyName: null);
            Assert.All(issued, token => Assert.Equal(OldKey.Name, token.KeyName));

            // 2. Switch the signer on each replica in turn: for a while the two sign with different keys, both valid.
            await RestartEachAsync([AblyAuthServerFactory.ApiKey, AblyAuthServerFactory.SecondApiKey], NewKey.Name);

            // 3. Wait one maximum TTL.
            time.Advance(MaxTtl + TimeSpan.FromSeconds(1));
            await RequestBothAsync();

            // 4. Remove the old key from each replica, then from Ably.
            Assert.All(issued.Where(token => token.KeyName == OldKey.Name), token => Assert.True(token.Expires <= time.GetUtcNow()));
            await RestartEachAsync([AblyAuthServerFactory.SecondApiKey], signingKeyName: null);
            ably.Remove(OldKey);
            await RequestBothAsync();

            Assert.Contains(issued, token => token.KeyName == OldKey.Name);
            Assert.All(issued.TakeLast(4), token => Assert.Equal(NewKey.Name, token.KeyName));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await (replica?.DisposeAsync() ?? ValueTask.CompletedTask);
            }
        }

        async Task RestartEachAsync(string[] keys, string? signingKeyName)
        {
            for (var i = 0; i < replicas.Length; i++)
            {
                // The load balancer takes the replica out; the other one answers meanwhile.
                await replicas[i]!.DisposeAsync();
                replicas[i] = null;
                await RequestBothAsync();
                replicas[i] = Replica(store, time, keys, signingKeyName);
                await RequestBothAsync();
            }
        }

        async Task RequestBothAsync()
        {
            foreach (var replica in replicas)
            {
                if (replica is not null)
                {
                    using var client = replica.CreateBearerClient(session);
                    await RequestAsync(client, replica, ably, issued);
                }
            }
        }
    }

    private static AblyAuthServerFactory Replica(TestAccountStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time, string[] keys, string? signingKeyName = null)
    {
        var settings = new Dictionary<string, string?> { ["Ably:SigningKeyName"] = signingKeyName };
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Ably:Keys:{i}"] = keys[i];
        }

        var replica = new AblyAuthServerFactory(store, settings) { Time = time };
        _ = replica.Server;
        return replica;
    }

    /// <summary>Asks for a JWT and a TokenRequest; both must succeed and be signed by a key Ably holds now.</summary>
    private static async Task RequestAsync(HttpClient client, AblyAuthServerFactory app, AblyKeys ably, List<Issued> issued)
    {
        var jwtResponse = await client.GetAsync("/ably/token", Ct);
        Assert.Equal(HttpStatusCode.OK, jwtResponse.StatusCode);
        var jwt = await jwtResponse.Content.ReadAsStringAsync(Ct);
        var parsed = Jwt.Parse(jwt);
        var jwtKey = ably.Find(parsed.Header.GetProperty("kid").GetString()!);
        Assert.True(Jwt.HasValidSignature(jwt, AblyKeys.Secret(jwtKey)), $"the JWT of {jwtKey.Name} does not verify");
        issued.Add(new Issued(jwtKey.Name, DateTimeOffset.FromUnixTimeSeconds(parsed.Expires)));

        var requestResponse = await client.GetAsync("/ably/token-request", Ct);
        Assert.Equal(HttpStatusCode.OK, requestResponse.StatusCode);
        var request = (await requestResponse.Content.ReadFromJsonAsync<TokenRequest>(Ct))!;
        var requestKey = ably.Find(request.KeyName);
        Assert.Equal(
            requestKey.ComputeMac(TokenRequestSigner.SignText(request.KeyName, request.Ttl, request.Capability, request.ClientId, request.Timestamp, request.Nonce)),
            request.Mac);
        issued.Add(new Issued(requestKey.Name, app.Time.GetUtcNow() + TimeSpan.FromMilliseconds(request.Ttl)));
    }

    private static async Task RequestForAsync(HttpClient client, AblyAuthServerFactory app, AblyKeys ably, List<Issued> issued, TimeSpan duration)
    {
        var until = DateTime.UtcNow + duration;
        do
        {
            await RequestAsync(client, app, ably, issued);
            await Task.Delay(100, Ct);
        }
        while (DateTime.UtcNow < until);
    }

    private sealed record Issued(string KeyName, DateTimeOffset Expires);

    /// <summary>The keys Ably holds for the app at a moment of the runbook: a token of any other key fails there.</summary>
    private sealed class AblyKeys(AblyKey first)
    {
        private readonly Dictionary<string, AblyKey> _keys = new(StringComparer.Ordinal) { [first.Name] = first };

        public void Add(AblyKey key) => _keys[key.Name] = key;

        public void Remove(AblyKey key) => _keys.Remove(key.Name);

        public AblyKey Find(string name)
        {
            Assert.True(_keys.TryGetValue(name, out var key), $"Ably holds no key {name} now: the token would be refused");
            return key;
        }

        public static string Secret(AblyKey key) => key == NewKey ? AblyAuthServerFactory.SecondSecret : AblyAuthServerFactory.Secret;
    }
}
