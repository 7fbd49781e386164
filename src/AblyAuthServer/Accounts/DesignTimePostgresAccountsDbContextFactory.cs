using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AblyAuthServer.Accounts;

/// <summary><c>dotnet ef migrations add Name --context PostgresAccountsDbContext -o Accounts/Migrations/Postgres</c>.</summary>
internal sealed class DesignTimePostgresAccountsDbContextFactory : IDesignTimeDbContextFactory<PostgresAccountsDbContext>
{
    public PostgresAccountsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAccountsDbContext>().UseNpgsql("Host=localhost;Database=design_time").Options);
}
