using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Accounts;

/// <summary>
/// The account store: Identity's schema plus the Ably clientId and disabled flag. Everything outside Accounts/ resolves
/// this type; each provider has a subclass with its own migrations (<see cref="AccountStore"/> picks one).
/// </summary>
public abstract class AccountsDbContext(DbContextOptions options)
    : IdentityDbContext<AccountUser, IdentityRole, string>(options)
{
    public DbSet<LoginFailure> LoginFailures => Set<LoginFailure>();

    public DbSet<EndedSession> EndedSessions => Set<EndedSession>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<AccountUser>(user =>
        {
            user.Property(u => u.ClientId).HasMaxLength(128);
            user.Property(u => u.IsDisabled).HasDefaultValue(false);
        });
        builder.Entity<LoginFailure>(failure =>
        {
            failure.ToTable("LoginFailures");
            failure.HasKey(f => f.NormalizedUserName);
            failure.Property(f => f.NormalizedUserName).HasMaxLength(LoginFailure.MaxNameLength);
            failure.HasIndex(f => f.LastFailureAt);
        });
        builder.Entity<EndedSession>(session =>
        {
            session.ToTable("EndedSessions");
            session.HasKey(s => s.SessionId);
            session.Property(s => s.SessionId).HasMaxLength(EndedSession.MaxIdLength);
            session.HasIndex(s => s.ExpiresAt);
        });
    }
}

/// <summary>The SQLite account store (one server); migrations in Accounts/Migrations/Sqlite.</summary>
public sealed class SqliteAccountsDbContext(DbContextOptions<SqliteAccountsDbContext> options) : AccountsDbContext(options);

/// <summary>
/// The PostgreSQL account store, shared by every replica; migrations in Accounts/Migrations/Postgres. It also holds the
/// data protection key ring, so session tokens issued by one replica are accepted by all.
/// </summary>
public sealed class PostgresAccountsDbContext(DbContextOptions<PostgresAccountsDbContext> options) : AccountsDbContext(options)
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<DataProtectionKey>().ToTable("DataProtectionKeys");
    }
}

/// <summary>
/// One data protection key as XML; the same shape as Microsoft.AspNetCore.DataProtection.EntityFrameworkCore's entity, so
/// moving to that package later needs no data migration.
/// </summary>
public sealed class DataProtectionKey
{
    public int Id { get; set; }

    public string? FriendlyName { get; set; }

    public string? Xml { get; set; }
}
