using AblyAuthServer.Policies;
using AblyAuthServer.Revocation;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Accounts;

/// <summary>
/// Operator actions on accounts (the <c>users</c> CLI); each returns an error message or null. A change that ends an
/// account's sessions (a new password, disabling, removal) and <see cref="RevokeTokensAsync"/> also write, in revocable
/// mode, the outbox row that revokes the account's Ably tokens: in one transaction with the change, on the context
/// Identity saves through, so both are stored or neither.
/// </summary>
public sealed class AccountAdministration(
    UserManager<AccountUser> users, RoleManager<IdentityRole> roles, PolicySet policies, AccountLockout lockout, AccountsDbContext db, RevocationTargets revocation)
{
    /// <summary>The longest display name a profile may have.</summary>
    public const int MaxDisplayNameLength = 200;

    public async Task<string?> AddAsync(string userName, string password, IReadOnlyCollection<string> roleNames, string? clientId)
    {
        if (await users.FindByNameAsync(userName) is not null)
        {
            return $"user '{userName}' already exists";
        }

        var unknownRole = roleNames.FirstOrDefault(r => !policies.IsKnownRole(r));
        if (unknownRole is not null)
        {
            return $"unknown role '{unknownRole}'; configured roles: {string.Join(", ", policies.RoleNames.Order(StringComparer.Ordinal))}";
        }

        if (!ClientIds.IsSafe(clientId ?? userName, out var clientIdError))
        {
            return clientId is null
                ? $"the user name cannot serve as a clientId ({clientIdError}); pass --client-id"
                : clientIdError;
        }

        var user = new AccountUser { UserName = userName, ClientId = clientId };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return Describe(created);
        }

        foreach (var role in roleNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        var added = await users.AddToRolesAsync(user, roleNames.Distinct(StringComparer.OrdinalIgnoreCase));
        return added.Succeeded ? null : Describe(added);
    }

    public async Task<IReadOnlyList<AccountSummary>> ListAsync()
    {
        var all = await users.Users.OrderBy(u => u.UserName).ToListAsync();
        var locked = await lockout.LockedOutAsync([.. all.Select(u => u.NormalizedUserName!)], CancellationToken.None);
        var summaries = new List<AccountSummary>(all.Count);
        foreach (var user in all)
        {
            summaries.Add(new AccountSummary(
                user.UserName!, user.EffectiveClientId, [.. (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal)], user.IsDisabled, locked.Contains(user.NormalizedUserName!), user.DisplayName));
        }

        return summaries;
    }

    public Task<string?> RemoveAsync(string userName) =>
        WithUser(userName, user => ChangeAsync(user, RevocationTargets.Remove, async () => Describe(await users.DeleteAsync(user))));

    /// <summary>Replaces the password, ends existing sessions (new security stamp) and clears any lockout.</summary>
    public Task<string?> SetPasswordAsync(string userName, string password) => WithUser(userName, user => ChangeAsync(user, RevocationTargets.SetPassword, async () =>
    {
        foreach (var validator in users.PasswordValidators)
        {
            var valid = await validator.ValidateAsync(users, user, password);
            if (!valid.Succeeded)
            {
                return Describe(valid);
            }
        }

        var removed = await users.RemovePasswordAsync(user);
        if (!removed.Succeeded)
        {
            return Describe(removed);
        }

        var added = await users.AddPasswordAsync(user, password);
        if (!added.Succeeded)
        {
            return Describe(added);
        }

        await lockout.ClearAsync(user.NormalizedUserName!, CancellationToken.None);
        return null;
    }));

    /// <summary>Sets the profile's display name (shown by channel claims as <c>{displayName}</c>); empty clears it.</summary>
    public Task<string?> SetDisplayNameAsync(string userName, string displayName) => WithUser(userName, async user =>
    {
        if (displayName.Length > MaxDisplayNameLength || displayName.Any(char.IsControl))
        {
            return $"the display name must be at most {MaxDisplayNameLength} characters, without control characters";
        }

        user.DisplayName = displayName.Length == 0 ? null : displayName;
        return Describe(await users.UpdateAsync(user));
    });

    /// <summary>
    /// Disabling also ends every session (new security stamp), so that enabling the account later does not revive them;
    /// while it is disabled, those sessions are still recognised and refused with 403, so SDKs stop asking.
    /// </summary>
    public Task<string?> SetDisabledAsync(string userName, bool disabled) => WithUser(userName, user =>
        ChangeAsync(user, disabled ? RevocationTargets.Disable : null, async () =>
        {
            user.IsDisabled = disabled;
            return Describe(disabled ? await users.UpdateSecurityStampAsync(user) : await users.UpdateAsync(user));
        }));

    /// <summary>
    /// Revokes every Ably token of the account issued until now, and nothing else: its sessions stay, so its clients
    /// fetch new tokens (on the account's current roles). For a leaked token, or after changing what roles allow.
    /// </summary>
    public Task<string?> RevokeTokensAsync(string userName) => WithUser(userName, user => revocation.Enabled
        ? ChangeAsync(user, RevocationTargets.RevokeTokens, () => Task.FromResult<string?>(null))
        : Task.FromResult<string?>("tokens are not revocable: Ably:Revocable (ABLY__REVOCABLE) is off; see docs/revocation.md"));

    // Identity saves through the same scoped context, so its writes join this transaction; the outbox row is the last
    // write, and nothing is kept if any step fails.
    private async Task<string?> ChangeAsync(AccountUser user, string? revocationReason, Func<Task<string?>> change)
    {
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (await change() is { } error)
        {
            return error;
        }

        if (revocationReason is not null && revocation.ForAccount(revocationReason, user) is { } entry)
        {
            db.RevocationOutbox.Add(entry);
            try
            {
                await db.SaveChangesAsync();
            }
            catch (DbUpdateException e)
            {
                // Rolled back with the change itself: the account is as it was, and the operator can run the command again.
                return $"the change was not stored, because its revocation could not be: {e.InnerException?.Message ?? e.Message}";
            }
        }

        await transaction.CommitAsync();
        return null;
    }

    private async Task<string?> WithUser(string userName, Func<AccountUser, Task<string?>> action) =>
        await users.FindByNameAsync(userName) is { } user ? await action(user) : $"user '{userName}' does not exist";

    private static string? Describe(IdentityResult result) =>
        result.Succeeded ? null : string.Join("; ", result.Errors.Select(e => e.Description));
}
