using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Cli;

/// <summary>Runs on both account stores; each test gets its own database.</summary>
public sealed class UsersCommandTestsOnSqlite() : UsersCommandTests(AccountStoreProvider.Sqlite);

/// <inheritdoc cref="UsersCommandTestsOnSqlite"/>
public sealed class UsersCommandTestsOnPostgres() : UsersCommandTests(AccountStoreProvider.Postgres);

public abstract class UsersCommandTests(AccountStoreProvider provider) : IAsyncLifetime
{
    private AblyAuthServerFactory _factory = null!;

    public async ValueTask InitializeAsync()
    {
        _factory = await AblyAuthServerFactory.CreateAsync(provider);
        _ = _factory.Server; // start the app so the store exists
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private async Task<(int ExitCode, string Output, string Error)> Run(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await UsersCommand.RunAsync(_factory.Services, ["users", .. args], new StringReader(stdin), output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Add_Reads_The_Password_From_Stdin_And_The_User_Can_Log_In_With_Its_Roles_And_ClientId()
    {
        var (exit, output, _) = await Run("s3cret-password\n", "add", "carol", "--role", "member", "--role", "viewer", "--client-id", "carol-7");

        Assert.Equal(UsersCommand.Success, exit);
        Assert.Equal("add: carol ok", output.Trim());
        var login = await _factory.LoginAsync("carol", "s3cret-password");
        Assert.Equal("carol-7", login.ClientId);
        var (_, list, _) = await Run(string.Empty, "list");
        Assert.Equal("carol\tclientId=carol-7\troles=member,viewer\tenabled", list.Trim());
    }

    [Fact]
    public async Task Adding_An_Existing_User_Fails_Without_Changing_It()
    {
        await Run("first-password\n", "add", "dave", "--role", "member");

        var (exit, _, error) = await Run("second-password\n", "add", "dave", "--role", "viewer");

        Assert.Equal(UsersCommand.Failure, exit);
        Assert.Equal("error: user 'dave' already exists", error.Trim());
        Assert.Equal("dave", (await _factory.LoginAsync("dave", "first-password")).ClientId);
    }

    [Fact]
    public async Task An_Unknown_Role_Is_Refused_Listing_The_Configured_Ones()
    {
        var (exit, _, error) = await Run("some-password\n", "add", "erin", "--role", "admin");

        Assert.Equal(UsersCommand.Failure, exit);
        Assert.Equal("error: unknown role 'admin'; configured roles: member, service, templated, viewer", error.Trim());
        var (_, list, _) = await Run(string.Empty, "list");
        Assert.DoesNotContain("erin", list, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\n", "the password read from standard input is empty")]
    [InlineData("", "the password read from standard input is empty")]
    [InlineData("short\n", "Passwords must be at least 8 characters")]
    public async Task Empty_Or_Weak_Passwords_Are_Refused(string stdin, string message)
    {
        var (exit, _, error) = await Run(stdin, "add", "frank", "--role", "member");

        Assert.Equal(UsersCommand.Failure, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("star*")]
    [InlineData("[meta]")]
    public async Task ClientIds_That_Could_Widen_A_Channel_Template_Are_Refused(string clientId)
    {
        var (exit, _, error) = await Run("some-password\n", "add", "gina", "--role", "member", "--client-id", clientId);

        Assert.Equal(UsersCommand.Failure, exit);
        Assert.Contains("not allowed", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "add" }, "'add' needs a user name")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new string[0], "missing command")]
    [InlineData(new[] { "add", "hank", "--password", "x" }, "passwords are read from standard input")]
    [InlineData(new[] { "add", "hank", "--role" }, "--role needs a value")]
    [InlineData(new[] { "remove", "a", "b" }, "unexpected argument 'b'")]
    [InlineData(new[] { "set", "hank" }, "'set' needs --display-name <text>")]
    [InlineData(new[] { "set", "hank", "--display-name" }, "--display-name needs a value")]
    [InlineData(new[] { "add", "hank", "--display-name", "Hank" }, "unknown option '--display-name'")]
    [InlineData(new[] { "revoke-tokens" }, "'revoke-tokens' needs a user name")]
    public async Task Bad_Usage_Exits_64_With_A_Message_And_Usage(string[] args, string message)
    {
        var (exit, _, error) = await Run(string.Empty, args);

        Assert.Equal(UsersCommand.Usage, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains("users add <name>", error, StringComparison.Ordinal);
        Assert.Contains("users revoke-tokens <name>", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_Tokens_Outside_Revocable_Mode_Fails_Saying_Why_And_Writes_Nothing()
    {
        await Run("some-password\n", "add", "kate", "--role", "member");

        var (exit, output, error) = await Run(string.Empty, "revoke-tokens", "kate");
        var (unknownExit, _, unknownError) = await Run(string.Empty, "revoke-tokens", "nobody");

        Assert.Equal((UsersCommand.Failure, string.Empty), (exit, output));
        Assert.Equal("error: tokens are not revocable: Ably:Revocable (ABLY__REVOCABLE) is off; see docs/revocation.md", error.Trim());
        Assert.Equal((UsersCommand.Failure, "error: user 'nobody' does not exist"), (unknownExit, unknownError.Trim()));
        Assert.Empty(await RevocableServer.OutboxAsync(_factory));
    }

    [Fact]
    public async Task Set_Password_Replaces_The_Password_And_Ends_Sessions()
    {
        await Run("old-password\n", "add", "ivan", "--role", "member");
        var session = (await _factory.LoginAsync("ivan", "old-password")).SessionToken;

        var (exit, _, _) = await Run("new-password\n", "set-password", "ivan");

        Assert.Equal(UsersCommand.Success, exit);
        using var client = _factory.CreateBearerClient(session);
        await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized);
        Assert.Equal("ivan", (await _factory.LoginAsync("ivan", "new-password")).ClientId);
    }

    [Fact]
    public async Task Disable_Enable_And_Remove_Change_What_The_Account_Can_Do()
    {
        await Run("some-password\n", "add", "judy", "--role", "member");

        Assert.Equal(UsersCommand.Success, (await Run(string.Empty, "disable", "judy")).ExitCode);
        Assert.Contains("\tdisabled", (await Run(string.Empty, "list")).Output, StringComparison.Ordinal);
        Assert.Equal(UsersCommand.Success, (await Run(string.Empty, "enable", "judy")).ExitCode);
        Assert.Equal("judy", (await _factory.LoginAsync("judy", "some-password")).ClientId);
        Assert.Equal(UsersCommand.Success, (await Run(string.Empty, "remove", "judy")).ExitCode);

        var (exit, _, error) = await Run(string.Empty, "remove", "judy");
        Assert.Equal(UsersCommand.Failure, exit);
        Assert.Equal("error: user 'judy' does not exist", error.Trim());
    }

    [Fact]
    public async Task Set_Display_Name_Changes_The_Profile_That_Channel_Claims_Read_And_An_Empty_One_Clears_It()
    {
        await Run("some-password\n", "add", "kim", "--role", "member");

        var (exit, output, _) = await Run(string.Empty, "set", "kim", "--display-name", "Kim \"K\" Lee");

        Assert.Equal(UsersCommand.Success, exit);
        Assert.Equal("set: kim ok", output.Trim());
        Assert.Equal("kim\tclientId=kim\troles=member\tenabled\tdisplayName=Kim \"K\" Lee", (await Run(string.Empty, "list")).Output.Trim());
        Assert.Equal(UsersCommand.Success, (await Run(string.Empty, "set", "kim", "--display-name", "")).ExitCode);
        Assert.Equal("kim\tclientId=kim\troles=member\tenabled", (await Run(string.Empty, "list")).Output.Trim());
    }

    [Theory]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    public async Task A_Display_Name_With_Control_Characters_Or_Over_200_Characters_Is_Refused(string displayName)
    {
        await Run("some-password\n", "add", "lou", "--role", "member");

        var control = await Run(string.Empty, "set", "lou", "--display-name", displayName);
        var tooLong = await Run(string.Empty, "set", "lou", "--display-name", new string('x', 201));

        Assert.Equal(UsersCommand.Failure, control.ExitCode);
        Assert.Equal("error: the display name must be at most 200 characters, without control characters", control.Error.Trim());
        Assert.Equal(UsersCommand.Failure, tooLong.ExitCode);
        Assert.DoesNotContain("displayName=", (await Run(string.Empty, "list")).Output, StringComparison.Ordinal);
    }
}

/// <summary>The CLI as operators run it: the built executable, password on stdin, configuration from the environment.</summary>
public sealed class UsersCommandProcessTests
{
    [Fact]
    public async Task The_Executable_Adds_Lists_And_Refuses_Duplicates_Against_A_SQLite_File()
    {
        var directory = Directory.CreateTempSubdirectory("ably-auth-cli");
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(directory.FullName, "nested", "accounts.db")}",
                ["Accounts__PasswordHashIterations"] = "10000",
            };

            var added = await ServerProcess.RunAsync(["users", "add", "kate", "--role", "member"], environment, "kates-password\n");
            var duplicate = await ServerProcess.RunAsync(["users", "add", "kate", "--role", "member"], environment, "kates-password\n");
            var list = await ServerProcess.RunAsync(["users", "list"], environment);

            Assert.Equal(0, added.ExitCode);
            Assert.Equal("add: kate ok", added.Output.Trim());
            Assert.Equal(1, duplicate.ExitCode);
            Assert.Equal("error: user 'kate' already exists", duplicate.Error.Trim());
            Assert.Equal("kate\tclientId=kate\troles=member\tenabled", list.Output.Trim());
            Assert.True(File.Exists(Path.Combine(directory.FullName, "nested", "accounts.db")));
            Assert.DoesNotContain("kates-password", added.Output + added.Error + list.Output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
