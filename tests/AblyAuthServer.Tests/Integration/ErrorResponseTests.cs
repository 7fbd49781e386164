using System.Net;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class ErrorResponseTests(ErrorResponseTests.Server server) : IClassFixture<ErrorResponseTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        public AblyAuthServerFactory Factory { get; } = new();

        public ValueTask InitializeAsync() => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => Factory.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/nothing-here")]
    [InlineData("/ably/tokens")]
    [InlineData("/auth")]
    public async Task Unknown_Routes_Get_A_404_Problem(string path)
    {
        using var client = server.Factory.CreateClient();

        await Problems.AssertProblemAsync(await client.GetAsync(path, Ct), HttpStatusCode.NotFound, "no resource at this path");
    }

    [Fact]
    public async Task A_Wrong_Method_Gets_A_405_Problem_With_Allow()
    {
        using var client = server.Factory.CreateClient();

        var login = await client.GetAsync("/auth/login", Ct);
        var token = await client.DeleteAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(login, HttpStatusCode.MethodNotAllowed, "does not accept the HTTP method");
        await Problems.AssertProblemAsync(token, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["GET", "POST"], token.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Health_Probes_Answer_Without_Credentials_And_Without_Details(string path)
    {
        using var client = server.Factory.CreateClient();

        var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Ct));
    }
}
