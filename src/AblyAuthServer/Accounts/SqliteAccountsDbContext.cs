using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Accounts;

/// <summary>The SQLite account store (one server); migrations in Accounts/Migrations/Sqlite.</summary>
public sealed class SqliteAccountsDbContext(DbContextOptions<SqliteAccountsDbContext> options) : AccountsDbContext(options);
