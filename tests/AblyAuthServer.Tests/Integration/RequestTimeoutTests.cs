using System.Diagnostics;
using System.Net;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AblyAuthServer.Tests.Integration;

public sealed class RequestTimeoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Request_Over_The_Time_Limit_Is_Cancelled_And_Answered_504_With_A_Problem_Body()
    {
        await using var factory = new AblyAuthServerFactory(
            new Dictionary<string, string?> { ["Hosting:RequestTimeout"] = "00:00:01" },
            services => services.AddSingleton<IRevokedSessions, StalledRevocations>());
        await factory.CreateUserAsync("alice", ["member"]);
        var session = (await factory.LoginAsync("alice")).SessionToken;
        using var client = factory.CreateBearerClient(session);
        var clock = Stopwatch.StartNew();

        var response = await client.PostAsync("/auth/logout", content: null, Ct);

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(20));
        await Problems.AssertProblemAsync(response, HttpStatusCode.GatewayTimeout, "longer than the server's 1 s limit");
    }

    [Fact]
    public async Task The_Default_Time_Limit_Is_Ten_Seconds_Within_Ablys_AuthUrl_Deadline()
    {
        await using var factory = new AblyAuthServerFactory();

        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(10), options.DefaultPolicy?.Timeout);
    }

    /// <summary>A revocation store that hangs until the request is cancelled.</summary>
    private sealed class StalledRevocations : IRevokedSessions
    {
        public bool IsRevoked(string sessionId) => false;

        public bool IsUpToDate => true;

        public Task RevokeAsync(string sessionId, DateTimeOffset expiresAt, AblyAuthServer.Accounts.RevocationEntry? tellAbly, CancellationToken cancellationToken) =>
            Task.Delay(TimeSpan.FromMinutes(1), cancellationToken);
    }
}
