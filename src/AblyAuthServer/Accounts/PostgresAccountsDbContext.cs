using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Accounts;

/// <summary>
/// The PostgreSQL account store, shared by every replica; migrations in Accounts/Migrations/Postgres. It also holds the
/// data protection key ring (the framework's EF Core key repository, in the same table the app has always used), so
/// session tokens issued by one replica are accepted by all.
/// </summary>
public sealed class PostgresAccountsDbContext(DbContextOptions<PostgresAccountsDbContext> options)
    : AccountsDbContext(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<DataProtectionKey>().ToTable("DataProtectionKeys");
    }
}
