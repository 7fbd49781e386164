using System.Net.Http.Headers;
using System.Net.Http.Json;
using AblyAuthServer.Accounts;
using AblyAuthServer.Sessions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// The real app in memory: a temp SQLite file, a test key, fast password hashing, immediate account re-checks and a
/// fake clock. Each instance is isolated (own database and data protection keys).
/// </summary>
public sealed class AblyAuthServerFactory : WebApplicationFactory<Program>
{
    public const string KeyName = "testApp.testKey";
    public const string Secret = "c2VjcmV0LWZvci10ZXN0cy10aGF0LWlzLWxvbmctZW5vdWdo";
    public const string ApiKey = KeyName + ":" + Secret;
    public const string Password = "correct horse battery staple";

    private readonly Dictionary<string, string?> _settings;

    public AblyAuthServerFactory(IDictionary<string, string?>? settings = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "ably-auth-tests", Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Ably:ApiKey"] = ApiKey,
            ["Accounts:ConnectionString"] = $"Data Source={Path.Combine(Directory, "accounts.db")}",
            ["Accounts:PasswordHashIterations"] = "10000",
            ["Sessions:AccountCheckInterval"] = "00:00:00",
            ["Policies:Roles:templated:Capabilities:0:Channel"] = "user:{clientId}:inbox",
            ["Policies:Roles:templated:Capabilities:0:Operations:0"] = "subscribe",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string Directory { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));
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

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
