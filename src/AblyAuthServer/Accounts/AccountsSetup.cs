using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Accounts;

public static class AccountsEndpoints
{
    /// <summary>
    /// Registers the account store (Identity over EF Core; the provider is chosen in <see cref="AccountStore"/> and nowhere else),
    /// credential verification with lockout, and the startup migration.
    /// </summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountsOptions>()
            .Configure<IConfiguration>((_, configuration) =>
            {
                // Binding an unknown enum name throws a bare InvalidOperationException; say which setting is wrong instead.
                if (!AccountStore.IsKnownProvider(configuration[$"{AccountsOptions.SectionName}:Provider"]))
                {
                    throw new OptionsValidationException(AccountsOptions.SectionName, typeof(AccountsOptions), [AccountStore.ProviderError]);
                }
            })
            .BindConfiguration(AccountsOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccountsOptions>, AccountsOptionsValidator>();

        services.AddAccountStore();

        services.AddIdentityCore<AccountUser>(identity =>
            {
                identity.User.RequireUniqueEmail = false;
                identity.User.AllowedUserNameCharacters += "+";
                // Lockout is counted per user name by AccountLockout, for names with and without an account alike.
                identity.Lockout.AllowedForNewUsers = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<AccountsDbContext>();

        services.AddOptions<IdentityOptions>().Configure<IOptions<AccountsOptions>>((identity, accounts) =>
        {
            identity.Password.RequiredLength = accounts.Value.MinimumPasswordLength;
            identity.Password.RequireDigit = false;
            identity.Password.RequireLowercase = false;
            identity.Password.RequireUppercase = false;
            identity.Password.RequireNonAlphanumeric = false;
            identity.Password.RequiredUniqueChars = 1;
        });
        services.AddOptions<PasswordHasherOptions>().Configure<IOptions<AccountsOptions>>((hasher, accounts) =>
            hasher.IterationCount = accounts.Value.PasswordHashIterations);

        services.AddMemoryCache();
        services.AddScoped<AccountLockout>();
        services.AddSingleton<PasswordCheckGate>();
        services.AddSingleton<DummyPasswordHash>();
        services.AddScoped<CredentialVerifier>();
        services.AddScoped<AccountAdministration>();
        services.AddHostedService<AccountsDatabaseMigrator>();
        services.AddHostedService<AccountStoreHousekeeping>();
        return services;
    }
}
