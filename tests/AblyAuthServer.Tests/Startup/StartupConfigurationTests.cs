using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Accounts;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.Startup;

public sealed class StartupConfigurationTests
{
    private const string ExpectedSetting = "Ably:ApiKey (environment ABLY_API_KEY or ABLY_API_KEY_FILE)";

    public static TheoryData<string, string> InvalidKeys => new()
    {
        { "", "is missing" },
        { "no-colon-here", "no ':' found" },
        // The test key's valid secret, so only the name's shape is wrong.
        { $"appOnly:{AblyAuthServerFactory.Secret}", "appId.keyId" },
        { "app.key:short-secret", "shorter than 32 bytes" },
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public void The_App_Refuses_To_Start_Without_A_Valid_Ably_Key(string key, string reason)
    {
        var error = StartupChecks.Failure(new() { ["Ably:ApiKey"] = key });

        var message = string.Join(" ", error.Failures);
        Assert.Contains(ExpectedSetting, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Invalid_Policy_Stops_Startup_Naming_The_Role_And_Entry()
    {
        var error = StartupChecks.Failure(new()
        {
            ["Policies:Roles:broken:Capabilities:0:Channel"] = "chat:*",
            ["Policies:Roles:broken:Capabilities:0:Operations:0"] = "publish",
            ["Policies:Roles:broken:Capabilities:1:Channel"] = "news:*",
            ["Policies:Roles:broken:Capabilities:1:Operations:0"] = "shout",
        });

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Policies:Roles:broken:Capabilities:1", failure, StringComparison.Ordinal);
        Assert.Contains("unknown operation 'shout'", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("::/0")]
    public void Trusting_Every_Address_As_A_Proxy_Stops_Startup_Naming_The_Setting(string network)
    {
        var error = StartupChecks.Failure(new() { ["ForwardedHeaders:KnownNetworks:0"] = network });

        Assert.StartsWith("ForwardedHeaders:KnownNetworks (FORWARDEDHEADERS__KNOWNNETWORKS__<n>) must not contain 0.0.0.0/0 or ::/0",
            Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auth:Issuers:0:Authority", "not a url", "Auth:Issuers:0:Authority (AUTH__ISSUERS__0__AUTHORITY) must be the provider's absolute http(s) URL")]
    [InlineData("Auth:Issuers:0:Authority", "http://idp.example.com", "Auth:Issuers:0:Authority (AUTH__ISSUERS__0__AUTHORITY) is plain http while Auth:Issuers:0:RequireHttpsMetadata is true")]
    [InlineData("Auth:Issuers:0:Roles:0", "no-such-role", "Auth:Issuers:0:Roles (AUTH__ISSUERS__0__ROLES) names the role 'no-such-role', which no policy defines")]
    [InlineData("Auth:Issuers:0:Audience", null, "Auth:Issuers:0:Audience (AUTH__ISSUERS__0__AUDIENCE) is missing")]
    [InlineData("Auth:Issuers:0:ClientIdPrefix", "a:", "Auth:Issuers:0:ClientIdPrefix (AUTH__ISSUERS__0__CLIENTIDPREFIX) cannot start a clientId")]
    public void An_Identity_Provider_Setting_That_Cannot_Work_Stops_Startup_With_One_Line_Naming_It(string setting, string? value, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Issuers:0:Authority"] = "https://idp.example.com/",
            ["Auth:Issuers:0:Audience"] = "api://ably",
        };
        settings[setting] = value;

        var failure = Assert.Single(StartupChecks.Failure(settings).Failures);

        Assert.StartsWith(message, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void Two_Identity_Providers_With_One_Issuer_Stop_Startup()
    {
        var failure = Assert.Single(StartupChecks.Failure(new()
        {
            ["Auth:Issuers:0:Authority"] = "https://idp.example.com/",
            ["Auth:Issuers:0:Audience"] = "app-one",
            ["Auth:Issuers:1:Authority"] = "https://idp.example.com/",
            ["Auth:Issuers:1:Audience"] = "app-two",
        }).Failures);

        Assert.StartsWith("Auth:Issuers:1:Issuer (AUTH__ISSUERS__1__ISSUER) repeats the iss of Auth:Issuers:0", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c2hvcnQ=", "https://x.supabase.co/auth/v1", "must be base64 of at least 32 bytes")]
    [InlineData("not base64!", "https://x.supabase.co/auth/v1", "must be base64 of at least 32 bytes")]
    [InlineData("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", null, "is required with SymmetricKey")]
    public void A_Shared_Secret_Provider_Needs_A_Long_Enough_Key_And_An_Issuer(string key, string? issuer, string message)
    {
        var failure = Assert.Single(StartupChecks.Failure(new()
        {
            ["Auth:Issuers:0:SymmetricKey"] = key,
            ["Auth:Issuers:0:Issuer"] = issuer,
            ["Auth:Issuers:0:Audience"] = "authenticated",
        }).Failures);

        Assert.Contains(message, failure, StringComparison.Ordinal);
        Assert.StartsWith("Auth:Issuers:0:", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(key, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Ttl_Setting_Beyond_Ablys_24_Hours_Stops_Startup()
    {
        var error = StartupChecks.Failure(new() { ["Ably:MaxTtl"] = "2.00:00:00" });

        Assert.Contains("Ably:MaxTtl (ABLY__MAXTTL)", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ably__MaxTtl", "soon", "Ably:MaxTtl (ABLY__MAXTTL) is not a valid duration")]
    [InlineData("RateLimiting__Login__PerIp__PermitLimit", "many", "RateLimiting:Login:PerIp:PermitLimit (RATELIMITING__LOGIN__PERIP__PERMITLIMIT) is not a valid whole number")]
    [InlineData("Auth__AllowBasic", "perhaps", "Auth:AllowBasic (AUTH__ALLOWBASIC) is not a valid boolean")]
    public async Task A_Value_That_Cannot_Be_Read_Stops_The_Process_With_One_Line_Naming_The_Setting_Not_The_Value(string variable, string value, string message)
    {
        var environment = Production(AblyAuthServerFactory.ApiKey);
        environment[variable] = value;

        var result = await ServerProcess.RunAsync([], environment);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Configuration error: " + message, line, StringComparison.Ordinal);
        Assert.DoesNotContain(value, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failures_In_Several_Sections_Stop_The_Process_With_One_Line_Naming_Each()
    {
        var environment = Production(AblyAuthServerFactory.ApiKey);
        environment["Ably__MaxTtl"] = "2.00:00:00";
        environment["Hosting__RequestTimeout"] = "00:00:00";
        environment["Cors__AllowedOrigins__0"] = "*";

        var result = await ServerProcess.RunAsync([], environment);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains("Ably:MaxTtl (ABLY__MAXTTL)", line, StringComparison.Ordinal);
        Assert.Contains("Hosting:RequestTimeout (HOSTING__REQUESTTIMEOUT)", line, StringComparison.Ordinal);
        Assert.Contains("Cors:AllowedOrigins (CORS__ALLOWEDORIGINS__<n>)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Revocable_Mode_Refuses_A_Max_Ttl_Over_Ablys_One_Hour_For_Revocable_Tokens()
    {
        var error = StartupChecks.Failure(new() { ["Ably:Revocable"] = "true", ["Ably:MaxTtl"] = "01:00:01" });

        Assert.Equal(
            "Ably:MaxTtl (ABLY__MAXTTL) must be at most 01:00:00 when Ably:Revocable is true (Ably's limit for revocable tokens).",
            Assert.Single(error.Failures));
    }

    [Theory]
    [InlineData("main.realtime.ably.net")]
    [InlineData("ftp://main.realtime.ably.net")]
    [InlineData("https://user:secret@main.realtime.ably.net")]
    [InlineData("https://main.realtime.ably.net/?x=1")]
    public void Ably_RestHost_Must_Be_An_Absolute_Http_Url(string host)
    {
        var error = StartupChecks.Failure(new() { ["Ably:RestHost"] = host });

        Assert.StartsWith("Ably:RestHost (ABLY__RESTHOST) must be an absolute http(s) URL", Assert.Single(error.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00.1")]
    [InlineData("00:01:01")]
    public void Ably_AblyTokenTimeout_Must_Leave_Room_For_Two_Attempts_And_Stay_Under_A_Minute(string timeout)
    {
        var error = StartupChecks.Failure(new() { ["Ably:AblyTokens"] = "true", ["Ably:AblyTokenTimeout"] = timeout });

        Assert.Equal(
            "Ably:AblyTokenTimeout (ABLY__ABLYTOKENTIMEOUT) must be between 00:00:00.2 and 00:01:00 (keep it below Hosting:RequestTimeout).",
            Assert.Single(error.Failures));
    }

    [Fact]
    public void Ably_Tokens_Call_Ably_With_Attempts_Of_At_Most_Half_The_Token_Timeout_Under_The_Request_Timeout()
    {
        using var on = StartupChecks.Services(new() { ["Ably:AblyTokens"] = "true" });
        using var quick = StartupChecks.Services(new() { ["Ably:AblyTokens"] = "true", ["Ably:RestTimeout"] = "00:00:01" });

        var options = on.GetRequiredService<IOptions<AblyOptions>>().Value;
        Assert.True(options.CallsAbly);
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(2500)), (options.AblyTokenTimeout, options.AblyTokenAttemptTimeout));
        Assert.True(options.AblyTokenTimeout < new AblyAuthServer.Hosting.HostingOptions().RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), quick.GetRequiredService<IOptions<AblyOptions>>().Value.AblyTokenAttemptTimeout);
    }

    [Fact]
    public void Revocable_Mode_Accepts_One_Hour_And_The_Defaults_Call_Nothing()
    {
        using var revocable = StartupChecks.Services(new() { ["Ably:Revocable"] = "true" });
        using var plain = StartupChecks.Services([]);

        var options = revocable.GetRequiredService<IOptions<AblyOptions>>().Value;
        var defaults = plain.GetRequiredService<IOptions<AblyOptions>>().Value;
        Assert.Equal((TimeSpan.FromHours(1), "https://main.realtime.ably.net", true), (options.MaxTtl, options.RestHost, options.CallsAbly));
        Assert.Equal((false, false, false, false), (defaults.Revocable, defaults.ClockCheck, defaults.AblyTokens, defaults.CallsAbly));
        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30)), (defaults.RevocationAlertAfter, defaults.MaxClockSkew));
    }

    [Fact]
    public async Task The_Process_Exits_Non_Zero_With_One_Line_Naming_The_Missing_Key()
    {
        var result = await ServerProcess.RunAsync([], Production(apiKey: null));

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"Configuration error: {ExpectedSetting} is missing.", line);
    }

    [Fact]
    public async Task The_Process_Exits_Non_Zero_On_A_Malformed_Key_Without_Printing_The_Secret()
    {
        var result = await ServerProcess.RunAsync([], Production(apiKey: "appkey:THE-SECRET-VALUE-THAT-MUST-NOT-LEAK-0123456789"));

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Configuration error: {ExpectedSetting} is malformed", line, StringComparison.Ordinal);
        Assert.DoesNotContain("THE-SECRET-VALUE", result.Error + result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Key_Can_Come_From_A_File_Named_By_ABLY_API_KEY_FILE()
    {
        var directory = Directory.CreateTempSubdirectory("ably-key-file");
        try
        {
            var environment = Production(apiKey: null);
            environment["ABLY_API_KEY_FILE"] = Path.Combine(directory.FullName, "missing");

            var missingFile = await ServerProcess.RunAsync([], environment);

            Assert.Equal(2, missingFile.ExitCode);
            Assert.Equal("Configuration error: ABLY_API_KEY_FILE names a file that cannot be read (FileNotFoundException).", missingFile.Error.Trim());

            // A valid key file lets the CLI (which shares configuration loading) run against the store.
            await File.WriteAllTextAsync(environment["ABLY_API_KEY_FILE"], AblyAuthServerFactory.ApiKey + "\n", TestContext.Current.CancellationToken);
            environment["Accounts__ConnectionString"] = $"Data Source={Path.Combine(directory.FullName, "accounts.db")}";
            var list = await ServerProcess.RunAsync(["users", "list"], environment);
            Assert.Equal(0, list.ExitCode);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    // No host:port at all, and a host:port with a value StackExchange.Redis cannot parse (it throws, naming the value).
    [Theory]
    [InlineData("password=s3cr3t-value,ssl=true")]
    [InlineData("redis:6379,password=s3cr3t-value,connectTimeout=soon")]
    public async Task The_Process_Exits_Non_Zero_On_A_Malformed_Redis_Configuration_Without_Printing_The_Password(string configuration)
    {
        var environment = Production(apiKey: AblyAuthServerFactory.ApiKey);
        environment["REDIS__CONFIGURATION"] = configuration;

        var result = await ServerProcess.RunAsync([], environment);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single((result.Output + result.Error).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Configuration error: Redis:Configuration (REDIS__CONFIGURATION or REDIS__CONFIGURATION_FILE) is not a valid", line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", result.Output + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Redis_Configuration_Can_Come_From_A_File_Named_By_REDIS__CONFIGURATION_FILE()
    {
        var ct = TestContext.Current.CancellationToken;
        var userName = "file-" + Guid.NewGuid().ToString("N")[..8];
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        var file = Path.Combine(store.Directory, "redis-configuration");
        await File.WriteAllTextAsync(file, TestRedis.Configuration + "\n", ct);
        var port = ServerProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
            ["Accounts__Provider"] = "Postgres",
            ["Accounts__ConnectionString"] = store.ConnectionString,
            ["Accounts__PasswordHashIterations"] = "10000",
            // Other process tests log in from 127.0.0.1 too, and this limit would be counted with theirs in Redis.
            ["RateLimiting__Login__PerIp__PermitLimit"] = "1000000",
            ["REDIS__CONFIGURATION_FILE"] = file,
        };
        await using var fromFile = await ServerProcess.StartAsync(port, environment);
        // A second replica on the same database and Redis: only Redis can tell it about a logout on the first.
        await using var other = new AblyAuthServerFactory(store, TestRedis.Settings());
        await other.CreateUserAsync(userName, ["member"]);
        using var client = new HttpClient { BaseAddress = fromFile.BaseAddress };
        var login = await client.PostAsJsonAsync("/auth/login", new { username = userName, password = AblyAuthServerFactory.Password }, ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var session = (await login.Content.ReadFromJsonAsync<LoginResponse>(ct))!.SessionToken;
        using var onOther = other.CreateBearerClient(session);
        Assert.Equal(HttpStatusCode.OK, (await onOther.GetAsync("/ably/token", ct)).StatusCode);

        using var logout = new HttpRequestMessage(HttpMethod.Post, "/auth/logout");
        logout.Headers.Authorization = new("Bearer", session);
        var loggedOut = await client.SendAsync(logout, ct);

        // 204, not 503: the process reached a Redis, and the other replica hearing of it shows it is the shared one.
        Assert.Equal(HttpStatusCode.NoContent, loggedOut.StatusCode);
        var refused = await Polling.UntilStatusAsync(() => onOther.GetAsync("/ably/token", ct), HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(2));
        await Problems.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("Postgres", "Data Source=data/accounts.db", "PostgreSQL connection string with a Host and a Database")]
    [InlineData("Postgres", "Host=db;Username=ably", "PostgreSQL connection string with a Host and a Database")]
    [InlineData("Postgres", "Host=db;Database=ably;Bogus=1", "PostgreSQL connection string with a Host and a Database")]
    [InlineData("Sqlite", "Host=db;Database=ably", "SQLite connection string with a Data Source")]
    public void A_Connection_String_For_Another_Provider_Stops_Startup_Naming_The_Setting(string provider, string connectionString, string reason)
    {
        var error = StartupChecks.Failure(new() { ["Accounts:Provider"] = provider, ["Accounts:ConnectionString"] = connectionString });

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Accounts:ConnectionString (ACCOUNTS__CONNECTIONSTRING or ACCOUNTS__CONNECTIONSTRING_FILE)", failure, StringComparison.Ordinal);
        Assert.Contains(reason, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Unknown_Provider_Stops_Startup_Naming_The_Setting()
    {
        var error = StartupChecks.Failure(new() { ["Accounts:Provider"] = "MySql" });

        Assert.Equal("Accounts:Provider (ACCOUNTS__PROVIDER) must be Sqlite or Postgres.", Assert.Single(error.Failures));
    }

    [Fact]
    public void A_PostgreSQL_Store_Passes_The_Startup_Checks_Without_Connecting()
    {
        using var provider = StartupChecks.Services(new()
        {
            ["Accounts:Provider"] = "postgres",
            ["Accounts:ConnectionString"] = "Host=db.invalid;Port=5432;Database=ably_auth;Username=ably;Password=secret",
        });

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(AccountStoreProvider.Postgres, provider.GetRequiredService<IOptions<AccountsOptions>>().Value.Provider);
    }

    [Fact]
    public async Task An_Account_Store_That_Cannot_Be_Opened_Stops_Startup_With_One_Line_And_Exit_Code_2()
    {
        var directory = Directory.CreateTempSubdirectory("ably-auth-unopenable");
        try
        {
            // A plain file where the database's folder should be: SQLite can neither create nor open it, even as root.
            var blocked = Path.Combine(directory.FullName, "not-a-folder");
            await File.WriteAllTextAsync(blocked, "x", TestContext.Current.CancellationToken);
            var environment = Production(apiKey: AblyAuthServerFactory.ApiKey);
            environment["Accounts__ConnectionString"] = $"Data Source={Path.Combine(blocked, "accounts.db")}";

            var result = await ServerProcess.RunAsync([], environment);

            Assert.Equal(2, result.ExitCode);
            var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("Configuration error: Accounts:ConnectionString (ACCOUNTS__CONNECTIONSTRING): the account store cannot be opened or migrated:", line, StringComparison.Ordinal);
            Assert.DoesNotContain(AblyAuthServerFactory.Secret, result.Output + result.Error, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_Valid_Configuration_Passes_Every_Startup_Check()
    {
        using var provider = StartupChecks.Services(new());

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(AblyAuthServerFactory.KeyName, provider.GetRequiredService<AblyKeySource>().Current.Signing.Name);
    }

    private static Dictionary<string, string> Production(string? apiKey)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"ably-auth-startup-{Guid.NewGuid():N}.db")}",
        };
        if (apiKey is not null)
        {
            environment["ABLY_API_KEY"] = apiKey;
        }

        return environment;
    }
}
