using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Policies;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Identity;

namespace AblyAuthServer.Accounts;

/// <summary>
/// Checks a user name and password with Identity's hasher and the account store's lockout (<see cref="AccountLockout"/>).
/// Unknown names, disabled accounts and wrong passwords each cost one lookup, one hash and one failure count, and are
/// answered alike, so neither the answer nor its timing tells which names exist.
/// </summary>
public sealed class CredentialVerifier(
    UserManager<AccountUser> users,
    IPasswordHasher<AccountUser> hasher,
    AccountLockout lockout,
    AuthMetrics metrics,
    PasswordCheckGate gate,
    DummyPasswordHash dummy)
{
    /// <summary>The Ably identity a verified account acts as: its clientId and its roles.</summary>
    public async Task<AccountIdentity> IdentityOfAsync(AccountUser user) =>
        new(user.Id, user.UserName!, user.EffectiveClientId, [.. await users.GetRolesAsync(user)], user.DisplayName);

    /// <summary>
    /// Waits for a hashing slot (bounded by <paramref name="cancellationToken"/>, which carries the request timeout),
    /// then checks the password.
    /// </summary>
    public async Task<CredentialResult> VerifyAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        using var lease = await gate.EnterAsync(cancellationToken);
        if (!lease.IsAcquired)
        {
            return new CredentialResult(CredentialOutcome.Busy, null, TimeSpan.FromSeconds(1));
        }

        var result = await CheckAsync(userName, password, cancellationToken);
        if (result.Outcome != CredentialOutcome.Succeeded)
        {
            metrics.LoginFailed(lockedOut: result.Outcome == CredentialOutcome.LockedOut);
        }

        return result;
    }

    private async Task<CredentialResult> CheckAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var normalized = users.NormalizeName(userName) ?? userName;
        var user = await users.FindByNameAsync(userName);
        if (await lockout.LockedOutForAsync(normalized, cancellationToken) is { } left)
        {
            return new CredentialResult(CredentialOutcome.LockedOut, null, left);
        }

        bool valid;
        if (user is null)
        {
            HashDummy(password);
            valid = false;
        }
        else
        {
            // A disabled account with the right password is answered like a wrong one, and counts as a failure like one.
            valid = await users.CheckPasswordAsync(user, password) && !user.IsDisabled;
        }

        if (!valid)
        {
            if (await lockout.RecordFailureAsync(normalized, cancellationToken) is { } lockedOut)
            {
                metrics.LockedOut();
                return new CredentialResult(CredentialOutcome.LockedOut, null, lockedOut);
            }

            return new CredentialResult(CredentialOutcome.Invalid, null, TimeSpan.Zero);
        }

        await lockout.ClearAsync(normalized, cancellationToken);
        return new CredentialResult(CredentialOutcome.Succeeded, user, TimeSpan.Zero);
    }

    // Same cost as checking a real password, so timing does not tell which user names exist.
    private void HashDummy(string password) => hasher.VerifyHashedPassword(DummyPasswordHash.User, dummy.Hash(hasher), password);
}
