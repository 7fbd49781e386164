using AblyAuthServer.Ably;

namespace AblyAuthServer.Tests.Core;

public sealed class ResourcePatternTests
{
    [Theory]
    [InlineData("*", null, new[] { "*" })]
    [InlineData("chat:lobby", null, new[] { "chat", "lobby" })]
    [InlineData("foo:*:baz", null, new[] { "foo", "*", "baz" })]
    [InlineData("foo*", null, new[] { "foo*" })]
    [InlineData("[*]*", "*", new[] { "*" })]
    [InlineData("[queue]appid-queue", "queue", new[] { "appid-queue" })]
    [InlineData("[meta]log:*", "meta", new[] { "log", "*" })]
    public void Valid_Patterns_Parse_Into_Qualifier_And_Segments(string text, string? qualifier, string[] segments)
    {
        // Act
        var parsed = ResourcePattern.TryParse(text, out var pattern, out var error);

        // Assert
        Assert.True(parsed, error);
        Assert.Equal(string.Empty, error);
        Assert.Equal(qualifier, pattern!.Qualifier);
        Assert.Equal(segments, pattern.Segments);
        Assert.Equal(text, pattern.Text);
        Assert.Equal(text, pattern.ToString());
    }

    [Theory]
    [InlineData(null, "a resource pattern is empty")]
    [InlineData("", "a resource pattern is empty")]
    [InlineData("chat\nlobby", "a resource pattern contains a newline")]
    [InlineData("chat\rlobby", "a resource pattern contains a newline")]
    [InlineData("[queue", "resource '[queue' has an unclosed '['")]
    [InlineData("[?rewind=1]chat", "resource '[?rewind=1]chat' has an unsupported qualifier: only [*], [queue] and [meta] are accepted")]
    [InlineData("[meta?x=y]log", "resource '[meta?x=y]log' has an unsupported qualifier: only [*], [queue] and [meta] are accepted")]
    [InlineData("[]chat", "resource '[]chat' has an unsupported qualifier: only [*], [queue] and [meta] are accepted")]
    [InlineData("[*]", "resource '[*]' has an empty or invalid channel name")]
    [InlineData(":chat", "resource ':chat' has an empty or invalid channel name")]
    [InlineData("[queue][meta]x", "resource '[queue][meta]x' has an empty or invalid channel name")]
    [InlineData("chat:", "resource 'chat:' ends with ':'")]
    public void Invalid_Patterns_Are_Rejected_With_A_Precise_Error(string? text, string expectedError)
    {
        // Act
        var parsed = ResourcePattern.TryParse(text, out var pattern, out var error);

        // Assert
        Assert.False(parsed);
        Assert.Null(pattern);
        Assert.Equal(expectedError, error);
    }

    [Theory]
    [InlineData("chat:*", "chat:lobby", "chat:lobby")]
    [InlineData("chat:lobby", "chat:*", "chat:lobby")]
    [InlineData("chat:lobby", "*", "chat:lobby")]
    [InlineData("ns:*", "ns:a", "ns:a")]
    [InlineData("ns:*", "ns:a:b", "ns:a:b")]
    [InlineData("ns:*", "ns:*", "ns:*")]
    [InlineData("ns:*", "*", "ns:*")]
    [InlineData("foo:*:baz", "foo:bar:baz", "foo:bar:baz")]
    [InlineData("foo:*:baz", "foo:bar:*", "foo:bar:baz")]
    [InlineData("a:*", "*:b", "a:b")]
    [InlineData("a:*", "*:b:c", "a:b:c")]
    [InlineData("a:*", "*:b:c:d:e", "a:b:c:d:e")]
    [InlineData("*:x", "y:*", "y:x")]
    [InlineData("*:*", "x:*:z", "x:*:z")]
    [InlineData("foo*", "foo*", "foo*")]
    [InlineData("foo*", "*", "foo*")]
    [InlineData("[*]*", "[queue]x", "[queue]x")]
    [InlineData("[*]*", "[meta]x", "[meta]x")]
    [InlineData("[*]*", "chat:x", "chat:x")]
    [InlineData("[*]*", "*", "*")]
    [InlineData("[*]*", "[*]chat:*", "[*]chat:*")]
    [InlineData("[queue]*", "[queue]q1", "[queue]q1")]
    [InlineData("[meta]*", "[*]log", "[meta]log")]
    public void Overlapping_Patterns_Intersect_To_The_Narrower_Pattern_In_Either_Order(string a, string b, string expected)
    {
        // Arrange
        var left = Parse(a);
        var right = Parse(b);

        // Act
        var forward = left.Intersect(right);
        var backward = right.Intersect(left);

        // Assert
        Assert.Equal(expected, forward?.Text);
        Assert.Equal(expected, backward?.Text);
    }

    [Theory]
    [InlineData("ns:*", "ns")]
    [InlineData("foo:*:baz", "foo:bar:bam:baz")]
    [InlineData("foo:*:baz", "foo:baz")]
    [InlineData("foo*", "foobar")]
    [InlineData("foo*", "foo:bar")]
    [InlineData("chat:lobby", "chat:hall")]
    [InlineData("chat:lobby", "chat:lobby:x")]
    [InlineData("*", "[queue]x")]
    [InlineData("*", "[meta]x")]
    [InlineData("*", "[queue]*")]
    [InlineData("[queue]*", "[meta]*")]
    [InlineData("a:*:c", "*:b:d")]
    [InlineData("*:b", "a:c")]
    public void Disjoint_Patterns_Have_No_Intersection_In_Either_Order(string a, string b)
    {
        // Arrange
        var left = Parse(a);
        var right = Parse(b);

        // Act
        var forward = left.Intersect(right);
        var backward = right.Intersect(left);

        // Assert
        Assert.Null(forward);
        Assert.Null(backward);
    }

    private static ResourcePattern Parse(string text)
    {
        Assert.True(ResourcePattern.TryParse(text, out var pattern, out var error), error);
        return pattern!;
    }
}
