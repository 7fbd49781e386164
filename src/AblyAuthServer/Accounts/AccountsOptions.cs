namespace AblyAuthServer.Accounts;

/// <summary><c>Accounts</c>: where accounts live and how guessing is slowed down.</summary>
public sealed class AccountsOptions
{
    public const string SectionName = "Accounts";

    public AccountStoreProvider Provider { get; set; } = AccountStoreProvider.Sqlite;

    /// <summary>
    /// For SQLite, a relative <c>Data Source</c> is under the working directory; its folder is created. For PostgreSQL,
    /// an Npgsql connection string naming a Host and a Database (created when the user may).
    /// </summary>
    public string ConnectionString { get; set; } = "Data Source=data/accounts.db";
    public int MaxFailedAccessAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A name's failure count is forgotten after this long without failures (existing names and unknown ones alike).</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>PBKDF2 (HMAC-SHA512) iterations of Identity's password hasher; its default is 100,000.</summary>
    public int PasswordHashIterations { get; set; } = 100_000;

    /// <summary>Password hashes computed at once; the rest queue. Default: half the cores, so token requests keep the other half.</summary>
    public int MaxConcurrentPasswordChecks { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Password checks that may wait for a slot; beyond that, logins get 429 with Retry-After at once.</summary>
    public int PasswordCheckQueueLimit { get; set; } = 64;

    /// <summary>Creates the demo account (<see cref="DemoUserName"/>) at startup; on only in Development.</summary>
    public bool SeedDemoUser { get; set; }

    public const string DemoUserName = "demo";
    public const string DemoPassword = "demo-password";

    /// <summary>Shortest password the CLI accepts.</summary>
    public int MinimumPasswordLength { get; set; } = 8;
}
