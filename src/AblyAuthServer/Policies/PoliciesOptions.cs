namespace AblyAuthServer.Policies;

/// <summary>
/// <c>Policies:Roles:&lt;role&gt;</c>: what each role may be granted. Channels are array entries, not keys,
/// because configuration keys cannot contain the <c>:</c> that channel patterns use.
/// </summary>
public sealed class PoliciesOptions
{
    public const string SectionName = "Policies";

    public Dictionary<string, RolePolicyOptions> Roles { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when no role was configured and <see cref="ExampleRoles"/> stand in for them.</summary>
    public bool UsesExampleRoles { get; private set; }

    /// <summary>
    /// The roles used only when no role is configured at all, so a first run works. They are not merged with configured
    /// roles: configuration arrays merge by index, so an operator could never take an operation away from a shipped role.
    /// Neither grants <c>*</c> operations (which include <c>push-admin</c> and <c>privileged-headers</c>) or any clientId.
    /// </summary>
    public static Dictionary<string, RolePolicyOptions> ExampleRoles() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["member"] = new()
        {
            Capabilities =
            [
                new() { Channel = "chat:*", Operations = ["publish", "subscribe", "presence", "history"] },
                new() { Channel = "private:{clientId}", Operations = ["publish", "subscribe", "presence", "history"] },
            ],
        },
        ["viewer"] = new()
        {
            Capabilities = [new() { Channel = "chat:*", Operations = ["subscribe", "history"] }],
        },
    };

    /// <summary>Fills in <see cref="ExampleRoles"/> when the configuration names no role.</summary>
    internal void UseExampleRolesIfNoneConfigured()
    {
        if (Roles.Count == 0)
        {
            foreach (var (name, role) in ExampleRoles())
            {
                Roles[name] = role;
            }

            UsesExampleRoles = true;
        }
    }
}
