using System.Text.Json;
using System.Text.Json.Nodes;
using AblyAuthServer.Ably;

namespace AblyAuthServer.Tests.Core;

/// <summary>Ably's answer to requestToken is used only as TokenDetails that follow from the TokenRequest sent.</summary>
public sealed class TokenDetailsTests
{
    private static readonly TokenRequest Request = new(
        "appId.keyId", "alice", """{"chat:*":["publish","subscribe"],"private:alice":["*"]}""", 3_600_000, 1_700_000_000_000, "0123456789abcdef0123456789abcdef", "mac");

    private static JsonObject Answer() => new()
    {
        ["token"] = "xVLyHw.token-value",
        ["keyName"] = "appId.keyId",
        ["issued"] = 1_700_000_000_100,
        ["expires"] = 1_700_003_600_100,
        ["capability"] = """{"chat:*":["publish","subscribe"],"private:alice":["*"]}""",
        ["clientId"] = "alice",
    };

    [Fact]
    public void An_Answer_That_Follows_From_The_Request_Is_Read_Field_By_Field_Keeping_Ablys_Capability_Text()
    {
        var answer = Answer();
        answer["capability"] = """{ "chat:lobby" : ["subscribe"] }""";

        Assert.True(TokenDetails.TryRead(answer.ToJsonString(), Request, out var details, out var error), error);

        Assert.Equal(
            new TokenDetails("xVLyHw.token-value", "appId.keyId", 1_700_000_000_100, 1_700_003_600_100, """{ "chat:lobby" : ["subscribe"] }""", "alice"),
            details);
    }

    [Fact]
    public void Fields_Ably_Adds_Are_Ignored()
    {
        var answer = Answer();
        answer["connectionId"] = "ignored";

        Assert.True(TokenDetails.TryRead(answer.ToJsonString(), Request, out _, out var error), error);
    }

    [Theory]
    [InlineData("token", null, "token is missing")]
    [InlineData("token", "", "token is missing")]
    [InlineData("token", 42, "token is missing")]
    [InlineData("keyName", "appId.otherKey", "keyName is missing or names another key")]
    [InlineData("keyName", null, "keyName is missing")]
    [InlineData("clientId", "*", "clientId is missing or differs")]
    [InlineData("clientId", null, "clientId is missing")]
    [InlineData("issued", "1700000000100", "issued and expires are not")]
    [InlineData("issued", 1.5, "issued and expires are not")]
    [InlineData("expires", 1_700_000_000_000, "expires after issued")]
    [InlineData("expires", 1_700_003_600_101, "lives longer than the TokenRequest's ttl")]
    [InlineData("capability", """{"*":["*"]}""", "not within the TokenRequest's")]
    [InlineData("capability", """{"chat:*":["publish","subscribe","history"]}""", "not within the TokenRequest's")]
    [InlineData("capability", "not json", "capability is missing, not a capability")]
    [InlineData("capability", null, "capability is missing")]
    public void An_Answer_That_Does_Not_Follow_From_The_Request_Is_Refused_Naming_The_Field_Not_Its_Value(string field, object? value, string expected)
    {
        var answer = Answer();
        if (value is null)
        {
            answer.Remove(field);
        }
        else
        {
            answer[field] = JsonNode.Parse(JsonSerializer.Serialize(value));
        }

        Assert.False(TokenDetails.TryRead(answer.ToJsonString(), Request, out var details, out var error));

        Assert.Null(details);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("token-value", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<html>ok</html>", "not JSON")]
    [InlineData("[1700000000000]", "not a JSON object")]
    [InlineData("", "not JSON")]
    public void An_Answer_That_Is_Not_A_Json_Object_Is_Refused(string body, string expected)
    {
        Assert.False(TokenDetails.TryRead(body, Request, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Printing_TokenDetails_Leaves_Out_The_Token()
    {
        var details = new TokenDetails("xVLyHw.token-value", "appId.keyId", 1, 2, """{"*":["*"]}""", "alice");

        Assert.DoesNotContain("token-value", details.ToString(), StringComparison.Ordinal);
        Assert.Contains("ClientId = alice", details.ToString(), StringComparison.Ordinal);
    }
}
