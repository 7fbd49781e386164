using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>The ValidateOnStart checks the app runs before it starts, over given settings (on top of the test key).</summary>
public static class StartupChecks
{
    public static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Ably:ApiKey"] = AblyAuthServerFactory.ApiKey })
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddPolicies().AddAccounts().AddSessions().AddCallerAuthentication().AddTokens().AddTrustedForwardedHeaders();
        return services.BuildServiceProvider();
    }

    /// <summary>The failure those checks stop startup with.</summary>
    public static OptionsValidationException Failure(Dictionary<string, string?> settings)
    {
        using var provider = Services(settings);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }
}
