using System.Net.Http.Headers;
using System.Net.Http.Json;
using AblyAuthServer.Accounts;
using AblyAuthServer.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// The real app in memory: a test key, fast password hashing, immediate account re-checks, a fake clock, and an account
/// store (a temp SQLite file, or a fresh PostgreSQL database). Each instance is isolated (own database and data
/// protection keys) unless it is given a store to share with other instances, as replicas share one database.
/// Rate limits are lifted unless a test sets them; every log event is recorded in <see cref="Logs"/>; a request's
/// <see cref="RemoteIpHeader"/> sets the peer address the server sees (as a proxy's or client's connection would).
/// </summary>
public sealed class AblyAuthServerFactory : WebApplicationFactory<Program>
{
    /// <summary>The test key every suite shares, from tests/test-api-key.txt (a throwaway, not a secret).</summary>
    public static readonly string ApiKey = ReadTestApiKey();
    public static readonly string KeyName = ApiKey[..ApiKey.IndexOf(':', StringComparison.Ordinal)];
    public static readonly string Secret = ApiKey[(KeyName.Length + 1)..];
    public const string Password = "correct horse battery staple";

    /// <summary>A second throwaway key of the same app, for tests with several keys (not a secret).</summary>
    public static readonly string SecondApiKey = KeyName[..KeyName.IndexOf('.', StringComparison.Ordinal)] + ".second:second-throwaway-test-secret-not-for-production";
    public static readonly string SecondKeyName = SecondApiKey[..SecondApiKey.IndexOf(':', StringComparison.Ordinal)];
    public static readonly string SecondSecret = SecondApiKey[(SecondKeyName.Length + 1)..];

    /// <summary>Settings under this prefix replace the test roles; <c>"Policies:Roles" = null</c> alone configures none.</summary>
    public const string RolesSection = "Policies:Roles";

    /// <summary>A test-only request header: the connection's remote address, applied before any middleware.</summary>
    public const string RemoteIpHeader = "X-Test-Remote-Ip";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;
    private readonly bool _ownsStore;

    /// <summary>An instance with its own temp SQLite store.</summary>
    public AblyAuthServerFactory(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
        : this(TestAccountStore.CreateSqlite(), ownsStore: true, settings, configureServices)
    {
    }

    /// <summary>An instance on a store the caller owns (and disposes), e.g. one of several replicas on one database.</summary>
    public AblyAuthServerFactory(TestAccountStore store, IDictionary<string, string?>? settings = null)
        : this(store, ownsStore: false, settings, configureServices: null)
    {
    }

    private AblyAuthServerFactory(TestAccountStore store, bool ownsStore, IDictionary<string, string?>? settings, Action<IServiceCollection>? configureServices)
    {
        Store = store;
        _ownsStore = ownsStore;
        _configureServices = configureServices;
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Ably:ApiKey"] = ApiKey,
            ["Accounts:Provider"] = store.Provider.ToString(),
            ["Accounts:ConnectionString"] = store.ConnectionString,
            ["Accounts:PasswordHashIterations"] = "10000",
            ["Sessions:AccountCheckInterval"] = "00:00:00",
        };

        // The roles these tests grant, configured as an operator would. A test that sets any Policies:Roles key gets exactly
        // its own roles instead (and with only "Policies:Roles" = null, none at all: the example roles apply).
        var ownRoles = settings?.Keys.Any(k => k.StartsWith(RolesSection, StringComparison.OrdinalIgnoreCase)) == true;
        var roles = ownRoles ? [] : new Dictionary<string, string?>
        {
            ["Policies:Roles:member:Capabilities:0:Channel"] = "chat:*",
            ["Policies:Roles:member:Capabilities:0:Operations:0"] = "publish",
            ["Policies:Roles:member:Capabilities:0:Operations:1"] = "subscribe",
            ["Policies:Roles:member:Capabilities:0:Operations:2"] = "presence",
            ["Policies:Roles:member:Capabilities:0:Operations:3"] = "history",
            ["Policies:Roles:member:Capabilities:1:Channel"] = "private:{clientId}",
            ["Policies:Roles:member:Capabilities:1:Operations:0"] = "*",
            ["Policies:Roles:viewer:Capabilities:0:Channel"] = "chat:*",
            ["Policies:Roles:viewer:Capabilities:0:Operations:0"] = "subscribe",
            ["Policies:Roles:viewer:Capabilities:0:Operations:1"] = "history",
            ["Policies:Roles:service:AllowAnyClientId"] = "true",
            ["Policies:Roles:service:Capabilities:0:Channel"] = "*",
            ["Policies:Roles:service:Capabilities:0:Operations:0"] = "*",
            ["Policies:Roles:templated:Capabilities:0:Channel"] = "user:{clientId}:inbox",
            ["Policies:Roles:templated:Capabilities:0:Operations:0"] = "subscribe",
        };
        foreach (var (key, value) in roles)
        {
            _settings[key] = value;
        }

        foreach (var (key, value) in new Dictionary<string, string?>
        {
            ["RateLimiting:Login:PerIp:PermitLimit"] = "100000",
            ["RateLimiting:Login:PerUsername:PermitLimit"] = "100000",
            ["RateLimiting:Tokens:PerUser:PermitLimit"] = "100000",
        })
        {
            _settings[key] = value;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    /// <summary>An instance with its own new store of the given provider (a fresh PostgreSQL database, dropped on dispose).</summary>
    public static async Task<AblyAuthServerFactory> CreateAsync(AccountStoreProvider provider, IDictionary<string, string?>? settings = null) =>
        new(await TestAccountStore.CreateAsync(provider), ownsStore: true, settings, configureServices: null);

    public TestAccountStore Store { get; }

    /// <summary>The app's clock; give several instances (and an <see cref="AblyRestStandIn"/>) one to share it.</summary>
    public FakeTimeProvider Time { get; init; } = NewTime();

    /// <summary>A fake clock at the instant every instance starts on.</summary>
    public static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Every log event the app wrote, as the framework's fake log collector recorded it.</summary>
    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<IStartupFilter, TestConnectionFilter>();
            services.AddLogging(logging => logging.AddFakeLogging());
            _configureServices?.Invoke(services);
        });
    }

    /// <summary>A client whose requests come from <paramref name="remoteIp"/>, to <paramref name="baseAddress"/> if given.</summary>
    public HttpClient CreateClientFrom(string remoteIp, string? baseAddress = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(baseAddress ?? "http://localhost") });
        client.DefaultRequestHeaders.Add(RemoteIpHeader, remoteIp);
        return client;
    }

    /// <summary>Creates an account through the same code the CLI uses.</summary>
    public async Task CreateUserAsync(string userName, string[] roles, string? clientId = null, string password = Password)
    {
        await using var scope = Services.CreateAsyncScope();
        var error = await scope.ServiceProvider.GetRequiredService<AccountAdministration>().AddAsync(userName, password, roles, clientId);
        Assert.Null(error);
    }

    public async Task<T> WithAccountsAsync<T>(Func<AccountAdministration, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<AccountAdministration>());
    }

    /// <summary>Logs in and returns the parsed response (asserting success).</summary>
    public async Task<LoginResponse> LoginAsync(string userName, string password = Password)
    {
        using var client = CreateClient();
        var response = await client.PostAsJsonAsync("/auth/login", new { username = userName, password });
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<LoginResponse>())!;
    }

    public HttpClient CreateBearerClient(string sessionToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", sessionToken);
        return client;
    }

    /// <summary>
    /// Gives TestServer connections what Kestrel's have: the local port of the request's Host (so port-bound
    /// endpoints can be reached) and, from <see cref="RemoteIpHeader"/>, a remote address.
    /// </summary>
    private sealed class TestConnectionFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.LocalPort = context.Request.Host.Port ?? 80;
                if (context.Request.Headers.Remove(RemoteIpHeader, out var address))
                {
                    context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(address.ToString());
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private static string ReadTestApiKey()
    {
        var path = Path.Combine(ServerProcess.RepositoryRoot, "tests", "test-api-key.txt");
        var key = File.ReadAllText(path).Trim();
        return key.IndexOf(':', StringComparison.Ordinal) > 0
            ? key
            : throw new InvalidOperationException($"{path} does not hold a key in the appId.keyId:secret shape");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsStore)
        {
            await Store.DisposeAsync();
        }
    }
}
