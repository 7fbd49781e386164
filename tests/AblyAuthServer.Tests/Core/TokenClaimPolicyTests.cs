using System.Text.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Policies;

namespace AblyAuthServer.Tests.Core;

public sealed class TokenClaimPolicyTests
{
    private static readonly ChannelGrantOptions[] Chat = [new() { Channel = "chat:*", Operations = ["subscribe"] }];

    [Fact]
    public void Invalid_Claims_Limits_And_Client_Types_Are_Reported_With_Their_Configuration_Path()
    {
        var options = new PoliciesOptions();
        options.Roles["member"] = new RolePolicyOptions
        {
            Capabilities = [.. Chat],
            ChannelClaims =
            [
                new() { Channel = "chat:*", Value = "ok" },
                new() { Channel = "", Value = "x" },
                new() { Channel = "chat:*" },
                new() { Channel = "chat:*", Value = "{\"name\":\"{nickname}\"}" },
                new() { Channel = "chat:*", Value = "{\"name\":{displayName}}" },
                new() { Channel = "[?rewind=1]chat", Value = "x" },
            ],
            PublishRateLimits =
            [
                new() { Channel = "chat:*", MaxRate = 0.5 },
                new() { Channel = "chat:*", MaxRate = 0 },
                new() { Channel = "chat:*" },
                new() { Channel = "chat:*", MaxRate = double.PositiveInfinity },
                new() { Channel = " ", MaxRate = 1 },
            ],
            ClientType = "browser",
        };

        PolicySet.Create(options, out var errors);

        Assert.Equal(
            [
                "Policies:Roles:member:ChannelClaims:1:Channel is empty",
                "Policies:Roles:member:ChannelClaims:2:Value is missing",
                "Policies:Roles:member:ChannelClaims:3:Value has the unknown placeholder {nickname}; use {clientId}, {userName}, {displayName}, {roles}",
                "Policies:Roles:member:ChannelClaims:4:Value starts like JSON but is not valid JSON (placeholders go inside JSON strings, e.g. \"name\":\"{displayName}\")",
                "Policies:Roles:member:ChannelClaims:5:Channel: resource '[?rewind=1]chat' has an unsupported qualifier: only [*], [queue] and [meta] are accepted",
                "Policies:Roles:member:PublishRateLimits:1:MaxRate must be a number of messages per second above 0 (fractions allowed, e.g. 0.1)",
                "Policies:Roles:member:PublishRateLimits:2:MaxRate must be a number of messages per second above 0 (fractions allowed, e.g. 0.1)",
                "Policies:Roles:member:PublishRateLimits:3:MaxRate must be a number of messages per second above 0 (fractions allowed, e.g. 0.1)",
                "Policies:Roles:member:PublishRateLimits:4:Channel is empty",
                "Policies:Roles:member:ClientType must be 'server' or unset",
            ],
            errors);
    }

    [Fact]
    public void Claims_Follow_Roles_In_Name_Order_With_The_Lowest_Limit_And_Any_Server_Role()
    {
        var options = new PoliciesOptions();
        options.Roles["b-role"] = new RolePolicyOptions
        {
            Capabilities = [.. Chat],
            ChannelClaims = [new() { Channel = "chat:*", Value = "from b" }, new() { Channel = "dm:{clientId}", Value = "{userName}" }],
            PublishRateLimits = [new() { Channel = "chat:*", MaxRate = 0.25 }],
            ClientType = "Server",
        };
        options.Roles["a-role"] = new RolePolicyOptions
        {
            Capabilities = [.. Chat],
            ChannelClaims = [new() { Channel = "chat:*", Value = "from a" }],
            PublishRateLimits = [new() { Channel = "chat:*", MaxRate = 5 }, new() { Channel = "news", MaxRate = 1.5 }],
        };
        var policies = PolicySet.Create(options, out var errors);

        var claims = policies.ClaimsFor(["b-role", "a-role"], "kim", new ClaimValues("kim", "kimberly", "", ["b-role", "a-role"]));

        Assert.Equal([], errors);
        Assert.True(policies.HasClaims);
        Assert.Equal([new("chat:*", "from a"), new("dm:kim", "kimberly")], claims.ChannelClaims);
        Assert.Equal([new("chat:*", 0.25), new("news", 1.5)], claims.PublishRateLimits);
        Assert.True(claims.IsServer);
    }

    [Fact]
    public void Roles_Without_Claims_Give_None()
    {
        var options = new PoliciesOptions();
        options.Roles["plain"] = new RolePolicyOptions { Capabilities = [.. Chat] };
        var policies = PolicySet.Create(options, out _);

        Assert.False(policies.HasClaims);
        Assert.Same(TokenClaims.None, policies.ClaimsFor(["plain"], "kim", new ClaimValues("kim", "kim", "", ["plain"])));
    }

    [Theory]
    [InlineData("\"", "\\\"")]
    [InlineData("\\", "\\\\")]
    [InlineData("line\nbreak\u0001", "line\\nbreak\\u0001")]
    [InlineData("{roles}", "{roles}")]
    [InlineData("</script>", "</script>")]
    public void A_Placeholder_Value_Is_Escaped_For_A_Json_String_And_Never_Expanded_Again(string displayName, string expected)
    {
        var values = new ClaimValues("c", "u", displayName, ["r"]);

        var filled = values.Fill("{\"n\":\"{displayName}\",\"r\":\"{roles}\"}");

        Assert.Equal($"{{\"n\":\"{expected}\",\"r\":\"r\"}}", filled);
        Assert.Equal(displayName, JsonDocument.Parse(filled).RootElement.GetProperty("n").GetString());
    }

    [Fact]
    public void Roles_Fill_In_Ordinal_Order_Joined_By_Commas()
    {
        Assert.Equal("admin,member,viewer", new ClaimValues("c", "u", "", ["viewer", "admin", "member"]).Fill("{roles}"));
    }
}
