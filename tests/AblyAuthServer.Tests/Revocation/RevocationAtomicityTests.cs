using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Revocation;

/// <summary>A cause and its outbox row are stored together or not at all; a row the worker cannot read stops nothing else.</summary>
public sealed class RevocationAtomicityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Logout_Whose_Revocation_Cannot_Be_Stored_Is_Not_Stored_Either_And_Says_So()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        await RefuseOutboxWritesAsync(server.App);

        var logout = await client.PostAsync("/auth/logout", null, Ct);

        await Problems.AssertProblemAsync(logout, HttpStatusCode.ServiceUnavailable, AuthProblems.LogoutNotRecorded);
        Assert.NotNull(logout.Headers.RetryAfter);
        await using var scope = server.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        Assert.Empty(await db.EndedSessions.ToListAsync(Ct));
        Assert.Empty(await db.RevocationOutbox.ToListAsync(Ct));
    }

    [Fact]
    public async Task An_Account_Change_Whose_Revocation_Cannot_Be_Stored_Is_Rolled_Back()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        var session = (await server.App.LoginAsync("alice")).SessionToken;
        await RefuseOutboxWritesAsync(server.App);

        var passwordError = await server.App.WithAccountsAsync(accounts => accounts.SetPasswordAsync("alice", "a-brand-new-password"));
        var disableError = await server.App.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: true));

        Assert.StartsWith("the change was not stored, because its revocation could not be:", passwordError, StringComparison.Ordinal);
        Assert.StartsWith("the change was not stored", disableError, StringComparison.Ordinal);
        Assert.Equal("alice", (await server.App.LoginAsync("alice")).ClientId);
        using var client = server.App.CreateBearerClient(session);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
        Assert.Empty(await server.OutboxAsync());
    }

    [Fact]
    public async Task A_Row_Without_Readable_Targets_Is_Kept_As_Failed_And_The_Next_Row_Still_Goes()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        await using (var scope = server.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
            db.RevocationOutbox.Add(new RevocationEntry
            {
                Reason = "revoke-tokens", UserId = "someone", UserName = "someone", Targets = "not json",
                CausedAt = server.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            });
            await db.SaveChangesAsync(Ct);
        }

        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.RevokeTokensAsync("alice")));

        var rows = await server.WaitForOutboxAsync(rows => rows.Count == 2 && rows[1].State == RevocationState.Delivered);
        Assert.Equal((RevocationState.Failed, "The row has no readable targets"), (rows[0].State, rows[0].LastError));
        Assert.Equal("clientId:alice", Assert.Single(server.Ably.RevokeCalls).Targets[0]);
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1308 && e.Level == LogLevel.Error);
    }

    private static async Task RefuseOutboxWritesAsync(AblyAuthServerFactory app)
    {
        await using var connection = new SqliteConnection(app.Store.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = """CREATE TRIGGER "RefuseRevocations" BEFORE INSERT ON "RevocationOutbox" BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;""";
        await command.ExecuteNonQueryAsync(Ct);
    }
}
