using AblyAuthServer.Ably;

namespace AblyAuthServer.Tests.Core;

public sealed class AblyErrorInfoTests
{
    [Fact]
    public void Ablys_Error_Body_Gives_Code_Status_And_Message()
    {
        var error = AblyErrorInfo.FromResponse(400,
            """{"error":{"message":"Revocable tokens are not enabled for this key","code":40163,"statusCode":400,"href":"https://help.ably.io/error/40163"}}""");

        Assert.Equal(new AblyErrorInfo(40163, 400, "Revocable tokens are not enabled for this key"), error);
        Assert.Equal("40163 (400): Revocable tokens are not enabled for this key", error.ToString());
    }

    [Theory]
    [InlineData(502, "<html>Bad gateway</html>")]
    [InlineData(503, "")]
    [InlineData(500, """{"unexpected":true}""")]
    public void A_Body_That_Is_Not_Ablys_Error_Gives_The_Http_Status(int status, string body)
    {
        var error = AblyErrorInfo.FromResponse(status, body);

        Assert.Equal((status * 100, status), (error.Code, error.StatusCode));
    }

    [Theory]
    [InlineData(400, 40163, true)]
    [InlineData(400, 40121, true)]
    [InlineData(400, 40164, true)]
    [InlineData(401, 40133, true)]
    [InlineData(401, 40162, true)]
    [InlineData(401, 40101, true)]
    [InlineData(400, 40003, true)]
    [InlineData(408, 40800, false)]
    [InlineData(429, 42910, false)]
    [InlineData(500, 50000, false)]
    [InlineData(503, 50300, false)]
    public void Only_Refusals_That_Retrying_Cannot_Fix_Are_Permanent(int status, int code, bool permanent)
    {
        Assert.Equal(permanent, new AblyErrorInfo(code, status, "x").IsPermanent);
    }

    [Fact]
    public void A_Very_Long_Message_Is_Cut()
    {
        var body = """{"error":{"code":40000,"statusCode":400,"message":"MESSAGE"}}""".Replace("MESSAGE", new string('m', 5000), StringComparison.Ordinal);

        var error = AblyErrorInfo.FromResponse(400, body);

        Assert.Equal(AblyErrorInfo.MaxMessageLength, error.Message.Length);
    }
}
