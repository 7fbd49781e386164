using System.Text;

namespace AblyAuthServer.Accounts;

/// <summary>
/// <c>users add|list|remove|set-password|set|disable|enable|revoke-tokens</c> on the server's own executable, against
/// the configured account store. Passwords come from standard input only, never from arguments (they would show in
/// <c>ps</c>). In revocable mode the commands that revoke tokens only write the outbox; a running server tells Ably.
/// </summary>
public static class UsersCommand
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 64;

    private const string UsageText = """
        Usage:
          users add <name> [--role <role>]... [--client-id <id>]   password from stdin
          users list
          users remove <name>
          users set-password <name>                                password from stdin
          users set <name> --display-name <text>                   the profile's display name ("" clears it)
          users disable <name>
          users enable <name>
          users revoke-tokens <name>                               revoke its Ably tokens (Ably:Revocable)
        """;

    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] == "users";

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        if (!TryParse(args, out var command, out var usageError))
        {
            await error.WriteLineAsync($"error: {usageError}");
            await error.WriteLineAsync(UsageText);
            return Usage;
        }

        await AccountsDatabaseMigrator.MigrateAsync(services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
        await using var scope = services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountAdministration>();

        string? failure;
        switch (command.Verb)
        {
            case "list":
                foreach (var account in await accounts.ListAsync())
                {
                    var state = account.IsDisabled ? "disabled" : account.IsLockedOut ? "locked-out" : "enabled";
                    var displayName = account.DisplayName is null ? string.Empty : $"\tdisplayName={account.DisplayName}";
                    await output.WriteLineAsync($"{account.UserName}\tclientId={account.ClientId}\troles={string.Join(',', account.Roles)}\t{state}{displayName}");
                }

                return Success;
            case "add" or "set-password":
                var password = await ReadPasswordAsync(input, output);
                if (string.IsNullOrEmpty(password))
                {
                    await error.WriteLineAsync("error: the password read from standard input is empty");
                    return Failure;
                }

                failure = command.Verb == "add"
                    ? await accounts.AddAsync(command.Name!, password, command.Roles, command.ClientId)
                    : await accounts.SetPasswordAsync(command.Name!, password);
                break;
            case "remove":
                failure = await accounts.RemoveAsync(command.Name!);
                break;
            case "set":
                failure = await accounts.SetDisplayNameAsync(command.Name!, command.DisplayName!);
                break;
            case "revoke-tokens":
                failure = await accounts.RevokeTokensAsync(command.Name!);
                break;
            default:
                failure = await accounts.SetDisabledAsync(command.Name!, command.Verb == "disable");
                break;
        }

        if (failure is not null)
        {
            await error.WriteLineAsync($"error: {failure}");
            return Failure;
        }

        await output.WriteLineAsync($"{command.Verb}: {command.Name} ok");
        return Success;
    }

    private sealed record Command(string Verb, string? Name, List<string> Roles, string? ClientId, string? DisplayName);

    private static bool TryParse(string[] args, out Command command, out string error)
    {
        command = new Command(string.Empty, null, [], null, null);
        error = string.Empty;
        var verb = args.Length > 1 ? args[1] : null;
        if (verb is not ("add" or "list" or "remove" or "set-password" or "set" or "disable" or "enable" or "revoke-tokens"))
        {
            error = verb is null ? "missing command" : $"unknown command '{verb}'";
            return false;
        }

        var roles = new List<string>();
        string? name = null;
        string? clientId = null;
        string? displayName = null;
        for (var i = 2; i < args.Length; i++)
        {
            var arg = args[i];
            if (verb == "set" && arg == "--display-name")
            {
                if (i + 1 >= args.Length)
                {
                    error = "--display-name needs a value (\"\" clears it)";
                    return false;
                }

                displayName = args[++i];
            }
            else if (verb == "add" && arg is "--role" or "--client-id")
            {
                if (i + 1 >= args.Length || string.IsNullOrWhiteSpace(args[i + 1]))
                {
                    error = $"{arg} needs a value";
                    return false;
                }

                if (arg == "--role")
                {
                    roles.Add(args[++i]);
                }
                else
                {
                    clientId = args[++i];
                }
            }
            else if (arg.StartsWith('-'))
            {
                error = arg.Contains("password", StringComparison.OrdinalIgnoreCase)
                    ? "passwords are read from standard input, not from arguments"
                    : $"unknown option '{arg}'";
                return false;
            }
            else if (name is null && verb != "list")
            {
                name = arg;
            }
            else
            {
                error = $"unexpected argument '{arg}'";
                return false;
            }
        }

        if (verb != "list" && string.IsNullOrWhiteSpace(name))
        {
            error = $"'{verb}' needs a user name";
            return false;
        }

        if (verb == "set" && displayName is null)
        {
            error = "'set' needs --display-name <text>";
            return false;
        }

        command = new Command(verb, name, roles, clientId, displayName);
        return true;
    }

    private static async Task<string?> ReadPasswordAsync(TextReader input, TextWriter output)
    {
        if (!ReferenceEquals(input, Console.In) || Console.IsInputRedirected)
        {
            return (await input.ReadLineAsync())?.TrimEnd('\r');
        }

        await output.WriteAsync("Password: ");
        var first = ReadHidden();
        await output.WriteAsync("Repeat password: ");
        return ReadHidden() == first ? first : null;
    }

    private static string ReadHidden()
    {
        var password = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.WriteLine();
                return password.ToString();
            }

            if (key.Key == ConsoleKey.Backspace && password.Length > 0)
            {
                password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
    }
}
