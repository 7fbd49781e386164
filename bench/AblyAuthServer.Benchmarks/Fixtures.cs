using AblyAuthServer.Ably;
using AblyAuthServer.Policies;

namespace AblyAuthServer.Benchmarks;

/// <summary>The shipped default roles (src/AblyAuthServer/appsettings.json) and a member account, as the server sees them.</summary>
internal static class Fixtures
{
    public const string TestKey = "testApp.testKey:c2VjcmV0LWZvci10ZXN0cy10aGF0LWlzLWxvbmctZW5vdWdo";

    public static readonly AblyKey Key = AblyKey.Parse(TestKey);

    public static readonly AccountIdentity Alice = new("7d1f0c9e-4b1a-4a59-9d0a-2f3c1b6e8a01", "alice", "alice", ["member"]);

    public static PolicySet DefaultPolicies()
    {
        var options = new PoliciesOptions
        {
            Roles =
            {
                ["member"] = new RolePolicyOptions
                {
                    Capabilities =
                    [
                        new ChannelGrantOptions { Channel = "chat:*", Operations = ["publish", "subscribe", "presence", "history"] },
                        new ChannelGrantOptions { Channel = "private:{clientId}", Operations = ["*"] },
                    ],
                },
                ["viewer"] = new RolePolicyOptions
                {
                    Capabilities = [new ChannelGrantOptions { Channel = "chat:*", Operations = ["subscribe", "history"] }],
                },
                ["service"] = new RolePolicyOptions
                {
                    Capabilities = [new ChannelGrantOptions { Channel = "*", Operations = ["*"] }],
                    AllowAnyClientId = true,
                },
            },
        };
        var policies = PolicySet.Create(options, out var errors);
        return errors.Count == 0 ? policies : throw new InvalidOperationException(string.Join("; ", errors));
    }

    public static GrantResolver Resolver() => new(DefaultPolicies(), TimeSpan.FromHours(1), TimeSpan.FromHours(24));
}
