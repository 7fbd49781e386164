using AblyAuthServer.Ably;
using AblyAuthServer.Policies;

namespace AblyAuthServer.Benchmarks;

/// <summary>The shipped default roles (src/AblyAuthServer/appsettings.json) and a member account, as the server sees them.</summary>
internal static class Fixtures
{
    /// <summary>The test key the suites share (tests/test-api-key.txt, a throwaway, not a secret).</summary>
    public static readonly string TestKey = ReadTestKey();

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

    // Embedded at build time, so the key travels with the assembly into the runners BenchmarkDotNet generates.
    private static string ReadTestKey()
    {
        using var stream = typeof(Fixtures).Assembly.GetManifestResourceStream("test-api-key.txt")
            ?? throw new InvalidOperationException("tests/test-api-key.txt is not embedded in the benchmark assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Trim();
    }
}
