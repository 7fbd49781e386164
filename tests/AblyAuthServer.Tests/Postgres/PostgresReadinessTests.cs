using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;
using Npgsql;

namespace AblyAuthServer.Tests.Postgres;

public sealed class PostgresReadinessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readyz_Answers_503_While_PostgreSQL_Is_Down_And_200_Once_It_Is_Back()
    {
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        var server = new NpgsqlConnectionStringBuilder(store.ConnectionString);
        await using var postgres = new TcpForwarder(server.Host!, server.Port);
        postgres.Start();
        var throughForwarder = new NpgsqlConnectionStringBuilder(store.ConnectionString) { Port = postgres.Port }.ConnectionString;
        await using var factory = new AblyAuthServerFactory(store, new Dictionary<string, string?> { ["Accounts:ConnectionString"] = throughForwarder });
        using var client = factory.CreateClient();

        var up = await client.GetAsync("/readyz", Ct);
        await postgres.StopAsync();
        var down = await client.GetAsync("/readyz", Ct);
        var live = await client.GetAsync("/healthz", Ct);
        postgres.Start();
        var back = await client.GetAsync("/readyz", Ct);

        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("Unhealthy", await down.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }
}
