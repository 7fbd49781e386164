using AblyAuthServer.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// The app in memory in revocable mode, pointed at an <see cref="AblyRestStandIn"/> that shares its fake clock, with a
/// fast outbox poll and short REST timeouts. Gives the outbox table's rows to assert on.
/// </summary>
public sealed class RevocableServer : IAsyncDisposable
{
    private readonly bool _ownsStandIn;

    private RevocableServer(AblyRestStandIn ably, AblyAuthServerFactory app, bool ownsStandIn)
    {
        Ably = ably;
        App = app;
        _ownsStandIn = ownsStandIn;
    }

    public AblyRestStandIn Ably { get; }

    public AblyAuthServerFactory App { get; }

    public FakeTimeProvider Time => App.Time;

    /// <summary>The settings of revocable mode against <paramref name="ably"/>, quick enough for tests.</summary>
    public static Dictionary<string, string?> Settings(AblyRestStandIn ably, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ably:Revocable"] = "true",
            ["Ably:RestHost"] = ably.BaseAddress,
            ["Ably:RevocationPollInterval"] = "00:00:00.1",
            ["Ably:RestTimeout"] = "00:00:01",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A new app (on <paramref name="store"/> when given, else its own SQLite store) and, unless given, a new stand-in.</summary>
    public static async Task<RevocableServer> StartAsync(
        IDictionary<string, string?>? settings = null, TestAccountStore? store = null, AblyRestStandIn? ably = null, FakeTimeProvider? time = null)
    {
        time ??= AblyAuthServerFactory.NewTime();
        var ownsStandIn = ably is null;
        ably ??= await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], time);
        var all = Settings(ably, settings);
        var app = store is null ? new AblyAuthServerFactory(all) { Time = time } : new AblyAuthServerFactory(store, all) { Time = time };
        _ = app.Server;
        return new RevocableServer(ably, app, ownsStandIn);
    }

    /// <summary>Every outbox row, oldest first.</summary>
    public Task<List<RevocationEntry>> OutboxAsync() => OutboxAsync(App);

    public static async Task<List<RevocationEntry>> OutboxAsync(AblyAuthServerFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        return await db.RevocationOutbox.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }

    /// <summary>Waits until the outbox satisfies <paramref name="condition"/>; fails with the rows it last saw.</summary>
    public async Task<List<RevocationEntry>> WaitForOutboxAsync(Func<List<RevocationEntry>, bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var rows = await OutboxAsync();
            if (condition(rows))
            {
                return rows;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("The outbox never reached the expected state: " +
                    string.Join("; ", rows.Select(r => $"#{r.Id} {r.Reason} {r.State} attempts={r.Attempts} error={r.LastError}")));
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        if (_ownsStandIn)
        {
            await Ably.DisposeAsync();
        }
    }
}
