using AblyAuthServer.Policies;

namespace AblyAuthServer.Tests.Core;

public sealed class ClientIdsTests
{
    [Theory]
    [InlineData("alice")]
    [InlineData("user-123")]
    [InlineData("a.b@example.com")]
    [InlineData("Zoë 名前")]
    [InlineData("😀")]
    public void Ordinary_ClientIds_Are_Safe(string clientId)
    {
        // Act
        var safe = ClientIds.IsSafe(clientId, out var error);

        // Assert
        Assert.True(safe);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void ClientId_Of_Exactly_The_Maximum_Length_Is_Safe()
    {
        // Act
        var safe = ClientIds.IsSafe(new string('a', ClientIds.MaxLength), out var error);

        // Assert
        Assert.Equal(128, ClientIds.MaxLength);
        Assert.True(safe, error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Empty_ClientId_Is_Not_Safe(string? clientId)
    {
        // Act
        var safe = ClientIds.IsSafe(clientId, out var error);

        // Assert
        Assert.False(safe);
        Assert.Equal("clientId is empty", error);
    }

    [Fact]
    public void ClientId_Over_The_Maximum_Length_Is_Not_Safe()
    {
        // Act
        var safe = ClientIds.IsSafe(new string('a', ClientIds.MaxLength + 1), out var error);

        // Assert
        Assert.False(safe);
        Assert.Equal("clientId is longer than 128 characters", error);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("ali*ce")]
    [InlineData("alice:*")]
    [InlineData("a:b")]
    [InlineData("[meta]x")]
    [InlineData("x]")]
    [InlineData("a,b")]
    [InlineData("a\u0000b")]
    [InlineData("a\tb")]
    [InlineData("a\nb")]
    [InlineData("a\u007fb")]
    [InlineData("a\u0085b")]
    public void ClientId_With_A_Pattern_Or_Control_Character_Is_Not_Safe(string clientId)
    {
        // Act
        var safe = ClientIds.IsSafe(clientId, out var error);

        // Assert
        Assert.False(safe);
        Assert.Equal("clientId contains a character that is not allowed (* : [ ] , or a control character)", error);
    }

    [Fact]
    public void Wildcard_Is_Star()
    {
        // Assert
        Assert.Equal("*", ClientIds.Wildcard);
    }
}
