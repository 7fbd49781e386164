using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AblyAuthServer.Accounts;

// These let `dotnet ef migrations add` build each provider's context without starting the server (no key, no database).

/// <summary><c>dotnet ef migrations add Name --context SqliteAccountsDbContext -o Accounts/Migrations/Sqlite</c>.</summary>
internal sealed class DesignTimeSqliteAccountsDbContextFactory : IDesignTimeDbContextFactory<SqliteAccountsDbContext>
{
    public SqliteAccountsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteAccountsDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
