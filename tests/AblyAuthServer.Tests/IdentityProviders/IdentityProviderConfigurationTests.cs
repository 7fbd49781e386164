using System.Net;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.IdentityProviders;

/// <summary>What each provider setting changes, with tokens shaped like the providers the docs give recipes for.</summary>
public sealed class IdentityProviderConfigurationTests
{
    private static readonly string[] ViewerRole = ["viewer"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_ClientId_Comes_From_The_Configured_Claim_With_The_Prefix_And_Static_Roles_Add_To_The_Tokens_Roles()
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var factory = IssuerFixture.Factory(IssuerFixture.Settings(issuer, extra: new Dictionary<string, string?>
        {
            ["Auth:Issuers:0:ClientIdClaim"] = "preferred_username",
            ["Auth:Issuers:0:ClientIdPrefix"] = "auth0-",
            ["Auth:Issuers:0:Roles:0"] = "viewer",
        }));
        using var client = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Claim("preferred_username", "ada").Roles("templated")));

        var jwt = Jwt.Parse(await client.GetStringAsync("/ably/token", Ct));

        Assert.Equal("auth0-ada", jwt.ClientId);
        Assert.Equal("""{"chat:*":["history","subscribe"],"user:auth0-ada:inbox":["subscribe"]}""", jwt.Capability);
    }

    [Theory]
    [InlineData("https://example.com/roles")]
    [InlineData("realm_access.roles")]
    [InlineData("app_metadata.authorization.roles")]
    public async Task Roles_Are_Read_By_Their_Exact_Claim_Name_First_And_Otherwise_As_A_Dotted_Path(string rolesClaim)
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var factory = IssuerFixture.Factory(IssuerFixture.Settings(issuer, extra: new Dictionary<string, string?> { ["Auth:Issuers:0:RolesClaim"] = rolesClaim }));
        var token = rolesClaim.StartsWith("https://", StringComparison.Ordinal)
            ? issuer.Mint(b => b.Subject("u1").RolesIn(rolesClaim, "viewer"))
            : issuer.Mint(b => b.Subject("u1").ClaimAt(rolesClaim.Split('.'), ViewerRole));
        using var client = IssuerFixture.Bearer(factory, token);

        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"chat:*":["history","subscribe"]}""", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).Capability);
    }

    [Fact]
    public async Task A_Single_Role_String_Counts_Like_A_One_Element_Array()
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var factory = IssuerFixture.Factory(IssuerFixture.Settings(issuer));
        using var client = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Role("viewer")));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
    }

    [Fact]
    public async Task With_An_Audience_Claim_The_App_Is_Named_In_That_Claim_Instead_Of_Aud()
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var factory = IssuerFixture.Factory(IssuerFixture.Settings(issuer, extra: new Dictionary<string, string?>
        {
            ["Auth:Issuers:0:Audience"] = "cognito-app-client",
            ["Auth:Issuers:0:AudienceClaim"] = "client_id",
        }));
        using var right = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Without("aud").ClientId("cognito-app-client").Roles("viewer")));
        using var wrong = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Without("aud").ClientId("another-app").Roles("viewer")));

        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/ably/token", Ct)).StatusCode);
        await Problems.AssertProblemAsync(await wrong.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, "get a fresh token");
    }

    [Fact]
    public async Task A_Shared_Secret_Provider_Accepts_Hs256_Only_And_Fetches_No_Metadata()
    {
        // Supabase signs with its JWT secret's text; the setting holds that text's bytes in base64.
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        await using var issuer = await TestIssuer.StartAsync(new TestIssuerOptions { Issuer = "https://project.supabase.co/auth/v1", Audience = "authenticated" }, Ct);
        await using var factory = IssuerFixture.Factory(new Dictionary<string, string?>
        {
            ["Auth:Issuers:0:Issuer"] = "https://project.supabase.co/auth/v1",
            ["Auth:Issuers:0:Audience"] = "authenticated",
            ["Auth:Issuers:0:SymmetricKey"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(secret)),
            ["Auth:Issuers:0:Roles:0"] = "viewer",
        });
        using var hs256 = IssuerFixture.Bearer(factory, TestIssuer.MintHs256(secret,
            b => b.Issuer("https://project.supabase.co/auth/v1").Audience("authenticated").Subject("sb-user")));
        using var rs256 = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Subject("sb-user")));

        var accepted = await hs256.GetAsync("/ably/token", Ct);
        var refused = await rs256.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("sb-user", Jwt.Parse(await accepted.Content.ReadAsStringAsync(Ct)).ClientId);
        await Problems.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "get a fresh token");
        Assert.Equal(0, issuer.DiscoveryRequests + issuer.JwksRequests);
    }

    [Fact]
    public async Task A_Rotated_Key_Is_Found_After_A_Bounded_Refresh_While_The_Old_One_Keeps_Working()
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var factory = IssuerFixture.Factory(IssuerFixture.Settings(issuer));
        using (var warm = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Roles("viewer"))))
        {
            Assert.Equal(HttpStatusCode.OK, (await warm.GetAsync("/ably/token", Ct)).StatusCode);
        }

        var old = issuer.CurrentKey().KeyId;
        issuer.RotateKey(SecurityAlgorithms.RsaSha256, keepOld: true);
        var rotated = issuer.Mint(b => b.Roles("viewer"));
        var stillOld = issuer.Mint(b => b.KeyId(old).Roles("viewer"));
        issuer.ResetCounts();

        using var client = IssuerFixture.Bearer(factory, rotated);
        var response = await Polling.UntilStatusAsync(() => client.GetAsync("/ably/token", Ct), HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
        }

        using var oldClient = IssuerFixture.Bearer(factory, stillOld);
        Assert.Equal(HttpStatusCode.OK, (await oldClient.GetAsync("/ably/token", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange(issuer.JwksRequests, 1, 2);
    }

    [Fact]
    public async Task Unknown_Kids_Trigger_Refreshes_At_A_Bounded_Rate()
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var factory = IssuerFixture.Factory(IssuerFixture.Settings(issuer));
        using (var warm = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Roles("viewer"))))
        {
            Assert.Equal(HttpStatusCode.OK, (await warm.GetAsync("/ably/token", Ct)).StatusCode);
        }

        issuer.ResetCounts();
        for (var i = 0; i < 20; i++)
        {
            using var client = IssuerFixture.Bearer(factory, issuer.MintWithUnknownKid(b => b.Roles("viewer")));
            await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, "get a fresh token");
        }

        await Task.Delay(500, Ct);
        Assert.InRange(issuer.JwksRequests + issuer.DiscoveryRequests, 0, 4);
    }

    [Fact]
    public async Task While_The_Provider_Is_Down_Cached_Keys_Keep_Working_And_A_New_Replica_Answers_503_Until_It_Is_Back()
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var running = IssuerFixture.Factory(IssuerFixture.Settings(issuer));
        using (var warm = IssuerFixture.Bearer(running, issuer.Mint(b => b.Roles("viewer"))))
        {
            Assert.Equal(HttpStatusCode.OK, (await warm.GetAsync("/ably/token", Ct)).StatusCode);
        }

        await issuer.StopAnsweringAsync();
        using var cached = IssuerFixture.Bearer(running, issuer.Mint(b => b.Subject("during-outage").Roles("viewer")));
        var whileDown = await cached.GetAsync("/ably/token", Ct);
        await using var restarted = IssuerFixture.Factory(IssuerFixture.Settings(issuer));
        using var fresh = IssuerFixture.Bearer(restarted, issuer.Mint(b => b.Roles("viewer")));
        var unavailable = await fresh.GetAsync("/ably/token", Ct);
        await issuer.ResumeAsync(Ct);
        var recovered = await Polling.UntilStatusAsync(() => fresh.GetAsync("/ably/token", Ct), HttpStatusCode.OK, TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.OK, whileDown.StatusCode);
        Assert.Equal("during-outage", Jwt.Parse(await whileDown.Content.ReadAsStringAsync(Ct)).ClientId);
        await Problems.AssertProblemAsync(unavailable, HttpStatusCode.ServiceUnavailable, "cannot be reached");
        Assert.Equal("50300", Assert.Single(unavailable.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.NotNull(unavailable.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task A_Hanging_Provider_Does_Not_Delay_Session_Users()
    {
        await using var issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        await using var factory = IssuerFixture.Factory(IssuerFixture.Settings(issuer));
        await factory.CreateUserAsync("alice", ["member"]);
        var session = (await factory.LoginAsync("alice")).SessionToken;
        await issuer.HangAsync(Ct);
        using var provider = IssuerFixture.Bearer(factory, issuer.Mint(b => b.Roles("viewer")));
        var hanging = provider.GetAsync("/ably/token", Ct);
        await Task.Delay(200, Ct);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var sessionClient = factory.CreateBearerClient(session);
        var sessionResponse = await sessionClient.GetAsync("/ably/token", Ct);
        var sessionTime = clock.Elapsed;
        var providerResponse = await hanging;
        var providerTime = clock.Elapsed;
        await issuer.ResumeAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, sessionResponse.StatusCode);
        Assert.True(sessionTime < TimeSpan.FromSeconds(1), $"a session token request took {sessionTime.TotalMilliseconds:0} ms while the provider hung");
        await Problems.AssertProblemAsync(providerResponse, HttpStatusCode.ServiceUnavailable, "cannot be reached");
        Assert.True(providerTime < TimeSpan.FromSeconds(9), $"the provider's user waited {providerTime.TotalSeconds:0.0} s");
    }
}
