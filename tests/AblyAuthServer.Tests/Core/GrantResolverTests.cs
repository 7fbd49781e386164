using AblyAuthServer.Policies;

namespace AblyAuthServer.Tests.Core;

public sealed class GrantResolverTests
{
    private const string AliceAllowed = """{"chat:*":["presence","publish","subscribe"],"private:alice-id":["*"]}""";
    private static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(2);
    private static readonly AccountIdentity Alice = new("u-1", "alice", "alice-id", ["user"]);
    private static readonly AccountIdentity Service = new("u-2", "svc", "svc-id", ["backend"]);
    private static readonly GrantResolver Resolver = new(Policies(), DefaultTtl, MaxTtl);

    [Fact]
    public void No_Parameters_Grant_The_Own_ClientId_Full_Policy_And_Default_Ttl()
    {
        // Act
        var result = Resolver.Resolve(Alice, TokenParameters.None);

        // Assert
        AssertGranted(result, "alice-id", AliceAllowed, DefaultTtl);
    }

    [Fact]
    public void Empty_Parameters_Count_As_Absent()
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(string.Empty, string.Empty, string.Empty));

        // Assert
        AssertGranted(result, "alice-id", AliceAllowed, DefaultTtl);
    }

    [Fact]
    public void Whitespace_Ttl_Gets_The_Default_Ttl()
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(null, null, "   "));

        // Assert
        AssertGranted(result, "alice-id", AliceAllowed, DefaultTtl);
    }

    [Theory]
    [InlineData("1000", 1000)]
    [InlineData("1001", 1001)]
    [InlineData("600000", 600000)]
    [InlineData("0001000", 1000)]
    [InlineData("7200000", 7200000)]
    [InlineData("7200001", 7200000)]
    [InlineData("86400000", 7200000)]
    [InlineData("9223372036854775807", 7200000)]
    [InlineData("9223372036854775808", 7200000)]
    [InlineData("99999999999999999999999999999999999999", 7200000)]
    public void Whole_Millisecond_Ttl_Is_Used_And_Clamped_To_The_Maximum(string ttl, long expectedMilliseconds)
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(null, null, ttl));

        // Assert
        AssertGranted(result, "alice-id", AliceAllowed, TimeSpan.FromMilliseconds(expectedMilliseconds));
    }

    [Theory]
    [InlineData("999", "ttl must be at least 1000 milliseconds.")]
    [InlineData("0", "ttl must be at least 1000 milliseconds.")]
    [InlineData("00000000000000000000000000", "ttl must be at least 1000 milliseconds.")]
    [InlineData("-1", "ttl must be a whole number of milliseconds.")]
    [InlineData("+1000", "ttl must be a whole number of milliseconds.")]
    [InlineData("abc", "ttl must be a whole number of milliseconds.")]
    [InlineData("1.5", "ttl must be a whole number of milliseconds.")]
    [InlineData("1000.0", "ttl must be a whole number of milliseconds.")]
    [InlineData("1e6", "ttl must be a whole number of milliseconds.")]
    [InlineData(" 1000", "ttl must be a whole number of milliseconds.")]
    [InlineData("1,000", "ttl must be a whole number of milliseconds.")]
    [InlineData("\u0661\u0660\u0660\u0660", "ttl must be a whole number of milliseconds.")]
    public void Malformed_Or_Too_Short_Ttl_Is_An_Invalid_Request(string ttl, string expectedDetail)
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(null, null, ttl));

        // Assert
        AssertRefused(result, GrantFailure.InvalidRequest, expectedDetail);
    }

    [Fact]
    public void TryResolveTtl_Reports_The_Ttl_And_Error()
    {
        // Act
        var ok = Resolver.TryResolveTtl("1000", out var ttl, out var okError);
        var bad = Resolver.TryResolveTtl("999", out _, out var badError);

        // Assert
        Assert.True(ok);
        Assert.Equal(TimeSpan.FromSeconds(1), ttl);
        Assert.Equal(string.Empty, okError);
        Assert.False(bad);
        Assert.Equal("ttl must be at least 1000 milliseconds.", badError);
    }

    [Fact]
    public void Requesting_The_Own_ClientId_Is_Fine()
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters("alice-id", null, null));

        // Assert
        AssertGranted(result, "alice-id", AliceAllowed, DefaultTtl);
    }

    [Theory]
    [InlineData("bob-id")]
    [InlineData("ALICE-ID")]
    [InlineData("*")]
    public void Requesting_Another_ClientId_Is_Forbidden_Without_A_Role_That_Allows_It(string clientId)
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(clientId, null, null));

        // Assert
        AssertRefused(result, GrantFailure.Forbidden, "The requested clientId is not allowed for this user; omit it or use your own.");
    }

    [Fact]
    public void Role_That_Allows_Any_ClientId_Gets_The_Requested_ClientId_With_Templates_Expanded_For_It()
    {
        // Act
        var result = Resolver.Resolve(Service, new TokenParameters("bob-id", null, null));

        // Assert
        AssertGranted(result, "bob-id", """{"inbox:bob-id":["subscribe"],"notifications":["publish"]}""", DefaultTtl);
    }

    [Fact]
    public void Wildcard_ClientId_Expands_Templates_With_The_Accounts_Own_ClientId()
    {
        // Act
        var result = Resolver.Resolve(Service, new TokenParameters("*", null, null));

        // Assert
        AssertGranted(result, "*", """{"inbox:svc-id":["subscribe"],"notifications":["publish"]}""", DefaultTtl);
    }

    [Fact]
    public void Any_ClientId_Role_Combines_With_Other_Roles()
    {
        // Arrange
        var account = new AccountIdentity("u-3", "both", "both-id", ["user", "backend"]);

        // Act
        var result = Resolver.Resolve(account, new TokenParameters("carol", null, null));

        // Assert
        AssertGranted(
            result,
            "carol",
            """{"chat:*":["presence","publish","subscribe"],"inbox:carol":["subscribe"],"notifications":["publish"],"private:carol":["*"]}""",
            DefaultTtl);
    }

    [Theory]
    [InlineData("bob:*")]
    [InlineData("bob,alice")]
    [InlineData("[meta]bob")]
    [InlineData("b*b")]
    [InlineData("bob\n")]
    public void Unsafe_Requested_ClientId_Is_An_Invalid_Request_Even_When_Any_ClientId_Is_Allowed(string clientId)
    {
        // Act
        var result = Resolver.Resolve(Service, new TokenParameters(clientId, null, null));

        // Assert
        AssertRefused(result, GrantFailure.InvalidRequest, "The requested clientId contains a character that is not allowed (* : [ ] , or a control character).");
    }

    [Fact]
    public void Over_Long_Requested_ClientId_Is_An_Invalid_Request()
    {
        // Act
        var result = Resolver.Resolve(Service, new TokenParameters(new string('b', 129), null, null));

        // Assert
        AssertRefused(result, GrantFailure.InvalidRequest, "The requested clientId is longer than 128 characters.");
    }

    [Theory]
    [InlineData("not json", "The requested capability is malformed: capability is not valid JSON.")]
    [InlineData("""["chat:*"]""", "The requested capability is malformed: capability must be a JSON object of resource → array of operations.")]
    [InlineData("""{"chat:*":["fly"]}""", "The requested capability is malformed: capability resource 'chat:*' has an unknown operation 'fly'.")]
    [InlineData("""{"[?rewind=1]chat":["subscribe"]}""", "The requested capability is malformed: resource '[?rewind=1]chat' has an unsupported qualifier: only [*], [queue] and [meta] are accepted.")]
    [InlineData("""{"\ud800":["subscribe"]}""", "The requested capability is malformed: capability contains an unpaired UTF-16 surrogate escape.")]
    [InlineData("{}", "The requested capability is malformed: capability grants no resource.")]
    public void Malformed_Capability_Is_An_Invalid_Request(string capability, string expectedDetail)
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(null, capability, null));

        // Assert
        AssertRefused(result, GrantFailure.InvalidRequest, expectedDetail);
    }

    [Theory]
    [InlineData("""{"admin:*":["publish"]}""")]
    [InlineData("""{"private:bob-id":["subscribe"]}""")]
    [InlineData("""{"chat:lobby":["history"]}""")]
    [InlineData("""{"[meta]*":["subscribe"]}""")]
    [InlineData("""{"chat":["subscribe"]}""")]
    public void Disjoint_Capability_Is_Forbidden(string capability)
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(null, capability, null));

        // Assert
        AssertRefused(result, GrantFailure.Forbidden, "The requested capability shares nothing with what policy allows this user.");
    }

    [Theory]
    [InlineData("""{"chat:lobby":["publish","history"]}""", """{"chat:lobby":["publish"]}""")]
    [InlineData("""{"chat:lobby":["*"],"private:alice-id":["subscribe"],"admin":["*"]}""", """{"chat:lobby":["presence","publish","subscribe"],"private:alice-id":["subscribe"]}""")]
    [InlineData("""{"*":["subscribe"]}""", """{"chat:*":["subscribe"],"private:alice-id":["subscribe"]}""")]
    [InlineData("""{"[*]*":["*"]}""", AliceAllowed)]
    [InlineData("""{"private:*":["history"]}""", """{"private:alice-id":["history"]}""")]
    public void Narrower_Capability_Is_Granted_As_Exactly_The_Intersection(string capability, string expected)
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters(null, capability, null));

        // Assert
        AssertGranted(result, "alice-id", expected, DefaultTtl);
    }

    [Fact]
    public void Account_Whose_Roles_Allow_Nothing_Is_Forbidden()
    {
        // Arrange
        var ghost = new AccountIdentity("u-9", "ghost", "ghost-id", ["ghost", "guest"]);

        // Act
        var result = Resolver.Resolve(ghost, TokenParameters.None);

        // Assert
        AssertRefused(result, GrantFailure.Forbidden, "No capability is configured for this user's roles.");
    }

    [Fact]
    public void Clamped_Ttl_Own_ClientId_And_Narrowed_Capability_Combine()
    {
        // Act
        var result = Resolver.Resolve(Alice, new TokenParameters("alice-id", """{"chat:lobby":["subscribe"]}""", "999999999"));

        // Assert
        AssertGranted(result, "alice-id", """{"chat:lobby":["subscribe"]}""", MaxTtl);
    }

    private static void AssertGranted(GrantResult result, string clientId, string capability, TimeSpan ttl)
    {
        Assert.Equal(string.Empty, result.Detail);
        Assert.NotNull(result.Grant);
        Assert.Equal(
            (clientId, capability, ttl),
            (result.Grant.ClientId, result.Grant.Capability.ToJson(), result.Grant.Ttl));
    }

    private static void AssertRefused(GrantResult result, GrantFailure failure, string detail)
    {
        Assert.Null(result.Grant);
        Assert.Equal((failure, detail), (result.Failure, result.Detail));
    }

    private static PolicySet Policies()
    {
        var options = new PoliciesOptions
        {
            Roles =
            {
                ["user"] = new RolePolicyOptions
                {
                    Capabilities =
                    [
                        new ChannelGrantOptions { Channel = "chat:*", Operations = ["publish", "subscribe", "presence"] },
                        new ChannelGrantOptions { Channel = "private:{clientId}", Operations = ["*"] },
                    ],
                },
                ["backend"] = new RolePolicyOptions
                {
                    AllowAnyClientId = true,
                    Capabilities =
                    [
                        new ChannelGrantOptions { Channel = "notifications", Operations = ["publish"] },
                        new ChannelGrantOptions { Channel = "inbox:{clientId}", Operations = ["subscribe"] },
                    ],
                },
                ["guest"] = new RolePolicyOptions(),
            },
        };
        var policies = PolicySet.Create(options, out var errors);
        Assert.Empty(errors);
        return policies;
    }
}
