using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Accounts;

/// <summary>Startup checks of <see cref="AccountsOptions"/>, one line per problem; a connection string is never echoed.</summary>
internal sealed class AccountsOptionsValidator : IValidateOptions<AccountsOptions>
{
    public ValidateOptionsResult Validate(string? name, AccountsOptions options)
    {
        var failures = new OptionsFailures();
        if (options.Provider == AccountStoreProvider.Sqlite && !AccountStore.IsValidSqlite(options.ConnectionString))
        {
            failures.AddLine(AccountStore.SqliteConnectionStringError);
        }

        if (options.Provider == AccountStoreProvider.Postgres && !AccountStore.IsValidPostgres(options.ConnectionString))
        {
            failures.AddLine(AccountStore.PostgresConnectionStringError);
        }

        Range(failures, "Accounts:MaxFailedAccessAttempts", options.MaxFailedAccessAttempts, 1, 100);
        Range(failures, "Accounts:PasswordHashIterations", options.PasswordHashIterations, 10_000, 10_000_000);
        Range(failures, "Accounts:MaxConcurrentPasswordChecks", options.MaxConcurrentPasswordChecks, 1, 1024);
        Range(failures, "Accounts:PasswordCheckQueueLimit", options.PasswordCheckQueueLimit, 0, 100_000);
        Range(failures, "Accounts:MinimumPasswordLength", options.MinimumPasswordLength, 1, 1024);
        if (options.LockoutDuration <= TimeSpan.Zero)
        {
            failures.Add("Accounts:LockoutDuration", "must be positive.");
        }

        if (options.FailureWindow <= TimeSpan.Zero)
        {
            failures.Add("Accounts:FailureWindow", "must be positive.");
        }

        return failures.Result;
    }

    private static void Range(OptionsFailures failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(setting, $"must be between {min} and {max}.");
        }
    }
}
