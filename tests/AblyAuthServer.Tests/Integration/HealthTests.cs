using System.Net;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class HealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Probes_Answer_200_Healthy_In_Plain_Text_Without_Credentials_Cors_Or_Rate_Limits(string path)
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Cors:AllowedOrigins:0"] = "https://app.example.com",
            ["RateLimiting:Login:PerIp:PermitLimit"] = "1",
            ["RateLimiting:Tokens:PerUser:PermitLimit"] = "1",
        });
        using var client = factory.CreateClientFrom("198.51.100.9");
        client.DefaultRequestHeaders.Add("Origin", "https://app.example.com");

        for (var i = 0; i < 5; i++)
        {
            var response = await client.GetAsync(path, Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Ct));
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
            Assert.False(response.Headers.Contains("Retry-After"));
        }
    }

    [Fact]
    public async Task Readyz_Answers_503_In_Plain_Text_When_The_Account_Store_Is_Unreachable_While_Healthz_Stays_200()
    {
        await using var factory = new AblyAuthServerFactory();
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", Ct)).StatusCode);

        // The database's folder becomes a plain file: SQLite can neither open nor create the database (root included).
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(factory.Store.Directory, recursive: true);
        await File.WriteAllTextAsync(factory.Store.Directory, "not a directory", Ct);
        try
        {
            var ready = await client.GetAsync("/readyz", Ct);
            var live = await client.GetAsync("/healthz", Ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("text/plain", ready.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync(Ct));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            File.Delete(factory.Store.Directory);
        }
    }
}
