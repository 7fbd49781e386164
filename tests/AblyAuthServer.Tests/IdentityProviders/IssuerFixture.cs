using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.IdentityProviders;

/// <summary>Server settings that make <see cref="TestIssuer"/> a configured identity provider.</summary>
public static class IssuerFixture
{
    public static Dictionary<string, string?> Settings(TestIssuer issuer, int index = 0, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Auth:Issuers:{index}:Authority"] = issuer.BaseUrl,
            [$"Auth:Issuers:{index}:Audience"] = issuer.Audience,
            [$"Auth:Issuers:{index}:RequireHttpsMetadata"] = "false",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A factory whose fake clock starts at the real time, since token lifetimes are checked on the real clock.</summary>
    public static AblyAuthServerFactory Factory(IDictionary<string, string?> settings)
    {
        var factory = new AblyAuthServerFactory(settings);
        factory.Time.SetUtcNow(DateTimeOffset.UtcNow);
        return factory;
    }

    public static HttpClient Bearer(AblyAuthServerFactory factory, string token)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return client;
    }
}
