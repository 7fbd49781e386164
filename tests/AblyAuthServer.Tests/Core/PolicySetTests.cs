using AblyAuthServer.Policies;

namespace AblyAuthServer.Tests.Core;

public sealed class PolicySetTests
{
    [Fact]
    public void Invalid_Entries_Are_Reported_With_Their_Configuration_Path()
    {
        // Arrange
        var options = Options(
            ("user", false, [
                ("chat:*", ["publish"]),
                ("", ["publish"]),
                (null, ["publish"]),
                ("   ", ["publish"]),
                ("chat:*", ["publish", "fly"]),
                ("[?rewind=1]chat", ["subscribe"]),
                ("alerts", []),
                ("chat:", ["subscribe"]),
            ]),
            ("admin", false, [("[nope]x", ["*"])]));

        // Act
        var policies = PolicySet.Create(options, out var errors);

        // Assert
        Assert.Equal(
            [
                "Policies:Roles:user:Capabilities:1:Channel is empty",
                "Policies:Roles:user:Capabilities:2:Channel is empty",
                "Policies:Roles:user:Capabilities:3:Channel is empty",
                "Policies:Roles:user:Capabilities:4: capability resource 'chat:*' has an unknown operation 'fly'",
                "Policies:Roles:user:Capabilities:5: resource '[?rewind=1]chat' has an unsupported qualifier: only [*], [queue] and [meta] are accepted",
                "Policies:Roles:user:Capabilities:6: capability resource 'alerts' has no operations",
                "Policies:Roles:user:Capabilities:7: resource 'chat:' ends with ':'",
                "Policies:Roles:admin:Capabilities:0: resource '[nope]x' has an unsupported qualifier: only [*], [queue] and [meta] are accepted",
            ],
            errors);
        Assert.Equal("""{"chat:*":["publish"]}""", policies.Allowed(["user"], "alice").ToJson());
    }

    [Fact]
    public void Valid_Policies_Have_No_Errors()
    {
        // Arrange
        var options = Options(("user", false, [("chat:*", ["publish", "subscribe"]), ("private:{clientId}", ["*"])]));

        // Act
        PolicySet.Create(options, out var errors);

        // Assert
        Assert.Empty(errors);
    }

    [Fact]
    public void Invalid_Template_Is_Reported_With_Its_Path()
    {
        // Arrange
        var options = Options(("user", false, [("[{clientId}]chat", ["publish"]), ("inbox:{clientId}:", ["publish"])]));

        // Act
        PolicySet.Create(options, out var errors);

        // Assert
        Assert.Equal(
            [
                "Policies:Roles:user:Capabilities:0: resource '[x]chat' has an unsupported qualifier: only [*], [queue] and [meta] are accepted",
                "Policies:Roles:user:Capabilities:1: resource 'inbox:x:' ends with ':'",
            ],
            errors);
    }

    [Fact]
    public void ClientId_Placeholder_Is_Replaced_Everywhere_It_Appears()
    {
        // Arrange
        var policies = Create(("user", false, [
            ("private:{clientId}", ["*"]),
            ("users:{clientId}:*", ["subscribe"]),
            ("dm:{clientId}:{clientId}", ["publish"]),
            ("lobby", ["presence"]),
        ]));

        // Act
        var allowed = policies.Allowed(["user"], "alice");

        // Assert
        Assert.Equal(
            """{"dm:alice:alice":["publish"],"lobby":["presence"],"private:alice":["*"],"users:alice:*":["subscribe"]}""",
            allowed.ToJson());
    }

    [Fact]
    public void Allowed_Is_The_Union_Over_Roles()
    {
        // Arrange
        var policies = Create(
            ("user", false, [("chat:*", ["subscribe"]), ("private:{clientId}", ["publish"])]),
            ("moderator", false, [("chat:*", ["publish", "message-delete-any"]), ("[meta]*", ["subscribe"])]));

        // Act
        var allowed = policies.Allowed(["user", "moderator"], "mod-1");

        // Assert
        Assert.Equal(
            """{"[meta]*":["subscribe"],"chat:*":["message-delete-any","publish","subscribe"],"private:mod-1":["publish"]}""",
            allowed.ToJson());
    }

    [Fact]
    public void Unknown_Roles_Contribute_Nothing()
    {
        // Arrange
        var policies = Create(("user", false, [("chat:*", ["subscribe"])]));

        // Act
        var onlyUnknown = policies.Allowed(["ghost"], "alice");
        var mixed = policies.Allowed(["ghost", "user"], "alice");
        var none = policies.Allowed([], "alice");

        // Assert
        Assert.True(onlyUnknown.IsEmpty);
        Assert.Equal("{}", onlyUnknown.ToJson());
        Assert.Equal("""{"chat:*":["subscribe"]}""", mixed.ToJson());
        Assert.True(none.IsEmpty);
    }

    [Fact]
    public void Role_With_No_Capabilities_Is_Known_But_Allows_Nothing()
    {
        // Arrange
        var policies = Create(("guest", false, []));

        // Act
        var allowed = policies.Allowed(["guest"], "alice");

        // Assert
        Assert.True(policies.IsKnownRole("guest"));
        Assert.True(allowed.IsEmpty);
    }

    [Fact]
    public void Role_Names_Are_Case_Insensitive()
    {
        // Arrange
        var policies = Create(("User", false, [("chat:*", ["subscribe"])]));

        // Act
        var allowed = policies.Allowed(["USER"], "alice");

        // Assert
        Assert.True(policies.IsKnownRole("user"));
        Assert.False(policies.IsKnownRole("ghost"));
        Assert.Equal(["User"], policies.RoleNames);
        Assert.Equal("""{"chat:*":["subscribe"]}""", allowed.ToJson());
    }

    [Theory]
    [InlineData(new[] { "backend" }, true)]
    [InlineData(new[] { "user", "backend" }, true)]
    [InlineData(new[] { "user" }, false)]
    [InlineData(new[] { "ghost" }, false)]
    [InlineData(new string[0], false)]
    public void AllowsAnyClientId_Is_True_When_Any_Role_Allows_It(string[] roles, bool expected)
    {
        // Arrange
        var policies = Create(
            ("user", false, [("chat:*", ["subscribe"])]),
            ("backend", true, [("[*]*", ["*"])]));

        // Act
        var allows = policies.AllowsAnyClientId(roles);

        // Assert
        Assert.Equal(expected, allows);
    }

    private static PolicySet Create(params (string Role, bool AllowAnyClientId, (string? Channel, string[] Operations)[] Grants)[] roles)
    {
        var policies = PolicySet.Create(Options(roles), out var errors);
        Assert.Empty(errors);
        return policies;
    }

    private static PoliciesOptions Options(params (string Role, bool AllowAnyClientId, (string? Channel, string[] Operations)[] Grants)[] roles)
    {
        var options = new PoliciesOptions();
        foreach (var (role, allowAnyClientId, grants) in roles)
        {
            options.Roles[role] = new RolePolicyOptions
            {
                AllowAnyClientId = allowAnyClientId,
                Capabilities = [.. grants.Select(g => new ChannelGrantOptions { Channel = g.Channel, Operations = [.. g.Operations] })],
            };
        }

        return options;
    }
}
