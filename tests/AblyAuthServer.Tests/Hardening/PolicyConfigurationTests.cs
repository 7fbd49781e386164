using AblyAuthServer.Policies;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Hardening;

/// <summary>What an operator configures is exactly the policy: the example roles apply only when no role is configured.</summary>
public sealed class PolicyConfigurationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Role_Configured_With_Three_Operations_Grants_Exactly_Those_Three()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Policies:Roles:member:Capabilities:0:Channel"] = "chat:*",
            ["Policies:Roles:member:Capabilities:0:Operations:0"] = "publish",
            ["Policies:Roles:member:Capabilities:0:Operations:1"] = "subscribe",
            ["Policies:Roles:member:Capabilities:0:Operations:2"] = "presence",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateBearerClient((await factory.LoginAsync("alice")).SessionToken);

        var jwt = Jwt.Parse(await (await client.GetAsync("/ably/token", Ct)).Content.ReadAsStringAsync(Ct));

        Assert.Equal("""{"chat:*":["presence","publish","subscribe"]}""", jwt.Capability);
    }

    [Fact]
    public async Task Configuring_Any_Role_Leaves_No_Example_Role_To_Assign()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Policies:Roles:reader:Capabilities:0:Channel"] = "news:*",
            ["Policies:Roles:reader:Capabilities:0:Operations:0"] = "subscribe",
        });

        var member = await factory.WithAccountsAsync(accounts => accounts.AddAsync("alice", AblyAuthServerFactory.Password, ["member"], null));
        var service = await factory.WithAccountsAsync(accounts => accounts.AddAsync("svc", AblyAuthServerFactory.Password, ["service"], null));

        Assert.Equal("unknown role 'member'; configured roles: reader", member);
        Assert.Equal("unknown role 'service'; configured roles: reader", service);
        Assert.DoesNotContain(factory.Logs.GetSnapshot(), e => e.Id.Id == 4000);
    }

    [Fact]
    public async Task With_No_Role_Configured_The_Example_Roles_Apply_And_Startup_Says_So()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { [AblyAuthServerFactory.RolesSection] = null });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateBearerClient((await factory.LoginAsync("alice")).SessionToken);

        var jwt = Jwt.Parse(await (await client.GetAsync("/ably/token", Ct)).Content.ReadAsStringAsync(Ct));
        var service = await factory.WithAccountsAsync(accounts => accounts.AddAsync("svc", AblyAuthServerFactory.Password, ["service"], null));

        Assert.Equal("""{"chat:*":["history","presence","publish","subscribe"],"private:alice":["history","presence","publish","subscribe"]}""", jwt.Capability);
        Assert.Equal("unknown role 'service'; configured roles: member, viewer", service);
        var notice = Assert.Single(factory.Logs.GetSnapshot(), e => e.Id.Id == 4000);
        Assert.Equal(LogLevel.Warning, notice.Level);
        Assert.Contains("example roles member, viewer", notice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_Example_Role_Grants_Every_Operation_Or_Any_ClientId()
    {
        foreach (var (name, role) in PoliciesOptions.ExampleRoles())
        {
            Assert.False(role.AllowAnyClientId, $"example role {name} allows any clientId");
            Assert.All(role.Capabilities, grant => Assert.DoesNotContain("*", grant.Operations));
        }
    }

    [Fact]
    public async Task The_Shipped_Settings_Configure_No_Role()
    {
        var appsettings = await File.ReadAllTextAsync(Path.Combine(ServerProcess.RepositoryRoot, "src", "AblyAuthServer", "appsettings.json"), Ct);

        Assert.DoesNotContain("\"Policies\"", appsettings, StringComparison.Ordinal);
    }
}
