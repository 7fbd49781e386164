using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using Microsoft.AspNetCore.DataProtection;

namespace AblyAuthServer.Tests.Core;

public sealed class HotPathCacheTests
{
    private static PolicySet Policies() => PolicySet.Create(new PoliciesOptions
    {
        Roles =
        {
            ["member"] = new RolePolicyOptions { Capabilities = [new() { Channel = "private:{clientId}", Operations = ["*"] }] },
            ["viewer"] = new RolePolicyOptions { Capabilities = [new() { Channel = "chat:*", Operations = ["subscribe"] }] },
        },
    }, out _);

    [Fact]
    public void Cached_Capability_Equals_The_Expanded_One_And_Is_Reused_Per_Roles_And_ClientId()
    {
        var policies = Policies();

        var first = policies.AllowedCached(["member", "viewer"], "alice");
        var again = policies.AllowedCached(["member", "viewer"], "alice");
        var otherClient = policies.AllowedCached(["member", "viewer"], "bob");
        var otherRoles = policies.AllowedCached(["member"], "alice");

        Assert.Same(first, again);
        Assert.Equal(policies.Allowed(["member", "viewer"], "alice").ToJson(), first.ToJson());
        Assert.Equal("""{"chat:*":["subscribe"],"private:bob":["*"]}""", otherClient.ToJson());
        Assert.Equal("""{"private:alice":["*"]}""", otherRoles.ToJson());
    }

    [Fact]
    public void Role_Lists_That_Join_Alike_Do_Not_Share_A_Cache_Entry()
    {
        var policies = Policies();

        var two = policies.AllowedCached(["member", "viewer"], "alice");
        var joinedWithNewline = policies.AllowedCached(["member\nviewer"], "alice");
        var lookingEncoded = policies.AllowedCached(["6:member6:viewer"], "alice");

        Assert.Equal("""{"chat:*":["subscribe"],"private:alice":["*"]}""", two.ToJson());
        Assert.True(joinedWithNewline.IsEmpty);
        Assert.True(lookingEncoded.IsEmpty);
    }

    [Fact]
    public void A_Verified_Session_Ticket_Is_Read_Again_Without_Decrypting_And_A_Tampered_One_Is_Never_Cached()
    {
        using var tokens = new SessionTokens(new EphemeralDataProtectionProvider());
        var ticket = new SessionTicket("s1", new AccountIdentity("u1", "alice", "alice", ["member"]), "stamp", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1));
        var token = tokens.Protect(ticket);
        var tampered = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];

        var first = tokens.Read(token);
        var second = tokens.Read(token);

        Assert.Equal(ticket with { Account = first!.Account }, first);
        Assert.Equal(["member"], first.Account.Roles);
        Assert.Same(first, second);
        Assert.Null(tokens.Read(tampered));
        Assert.Null(tokens.Read(tampered));
    }
}
