using AblyAuthServer.Policies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Accounts;

public static class AccountsEndpoints
{
    /// <summary>
    /// Registers the account store (Identity over EF Core; the provider is chosen here and nowhere else),
    /// credential verification with lockout, and the startup migration.
    /// </summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountsOptions>()
            .BindConfiguration(AccountsOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.LockoutDuration > TimeSpan.Zero, "Accounts:LockoutDuration (ACCOUNTS__LOCKOUTDURATION) must be positive.")
            .Validate(o => o.Provider != AccountStoreProvider.Sqlite || IsValidSqlite(o.ConnectionString),
                "Accounts:ConnectionString (ACCOUNTS__CONNECTIONSTRING) is not a valid SQLite connection string with a Data Source.")
            .ValidateOnStart();

        services.AddDbContext<AccountsDbContext>((provider, db) =>
        {
            var options = provider.GetRequiredService<IOptions<AccountsOptions>>().Value;
            db.UseSqlite(options.ConnectionString);
        });

        services.AddIdentityCore<AccountUser>(identity =>
            {
                identity.User.RequireUniqueEmail = false;
                identity.User.AllowedUserNameCharacters += "+";
                identity.Lockout.AllowedForNewUsers = true;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<AccountsDbContext>();

        services.AddOptions<IdentityOptions>().Configure<IOptions<AccountsOptions>>((identity, accounts) =>
        {
            identity.Lockout.MaxFailedAccessAttempts = accounts.Value.MaxFailedAccessAttempts;
            identity.Lockout.DefaultLockoutTimeSpan = accounts.Value.LockoutDuration;
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
        services.AddSingleton<UnknownUserThrottle>();
        services.AddScoped<CredentialVerifier>();
        services.AddScoped<AccountAdministration>();
        services.AddHostedService<AccountsDatabaseMigrator>();
        return services;
    }

    private static bool IsValidSqlite(string connectionString)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(new SqliteConnectionStringBuilder(connectionString).DataSource);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
