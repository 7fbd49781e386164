namespace AblyAuthServer.Accounts;

/// <summary>Where accounts live: SQLite for one server, PostgreSQL for several replicas sharing one store.</summary>
public enum AccountStoreProvider
{
    Sqlite,
    Postgres,
}
