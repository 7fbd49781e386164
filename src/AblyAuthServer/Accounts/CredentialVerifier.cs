using Microsoft.AspNetCore.Identity;

namespace AblyAuthServer.Accounts;

public enum CredentialOutcome
{
    Succeeded,
    Invalid,
    LockedOut,
}

/// <summary>The outcome of a password check; <see cref="RetryAfter"/> is set when locked out.</summary>
public readonly record struct CredentialResult(CredentialOutcome Outcome, AccountUser? User, TimeSpan RetryAfter);

/// <summary>
/// Checks a user name and password with Identity's hasher and lockout. Unknown, disabled and wrong-password
/// attempts cost one hash each and look the same from outside.
/// </summary>
public sealed class CredentialVerifier
{
    private static readonly AccountUser DummyUser = new() { UserName = "unknown" };
    private static string? _dummyHash;

    private readonly UserManager<AccountUser> _users;
    private readonly IPasswordHasher<AccountUser> _hasher;
    private readonly UnknownUserThrottle _unknownUsers;

    public CredentialVerifier(UserManager<AccountUser> users, IPasswordHasher<AccountUser> hasher, UnknownUserThrottle unknownUsers)
    {
        _users = users;
        _hasher = hasher;
        _unknownUsers = unknownUsers;
    }

    public async Task<CredentialResult> VerifyAsync(string userName, string password)
    {
        var user = await _users.FindByNameAsync(userName);
        if (user is null)
        {
            return VerifyUnknown(userName, password);
        }

        if (await _users.IsLockedOutAsync(user))
        {
            return LockedOut(user.LockoutEnd);
        }

        if (!await _users.CheckPasswordAsync(user, password))
        {
            await _users.AccessFailedAsync(user);
            return await _users.IsLockedOutAsync(user) ? LockedOut(user.LockoutEnd) : Invalid;
        }

        if (user.IsDisabled)
        {
            return Invalid;
        }

        if (user.AccessFailedCount > 0)
        {
            await _users.ResetAccessFailedCountAsync(user);
        }

        return new CredentialResult(CredentialOutcome.Succeeded, user, TimeSpan.Zero);
    }

    private static CredentialResult Invalid => new(CredentialOutcome.Invalid, null, TimeSpan.Zero);

    private CredentialResult VerifyUnknown(string userName, string password)
    {
        var normalized = _users.NormalizeName(userName) ?? userName;
        if (_unknownUsers.LockedOutFor(normalized) is { } left)
        {
            return new CredentialResult(CredentialOutcome.LockedOut, null, left);
        }

        // Same cost as a real check, so timing does not tell which user names exist.
        _dummyHash ??= _hasher.HashPassword(DummyUser, Guid.NewGuid().ToString("N"));
        _hasher.VerifyHashedPassword(DummyUser, _dummyHash, password);
        return _unknownUsers.RecordFailure(normalized) is { } lockout
            ? new CredentialResult(CredentialOutcome.LockedOut, null, lockout)
            : Invalid;
    }

    // Identity computes LockoutEnd from the system clock (it takes no TimeProvider), so the remainder must too.
    private static CredentialResult LockedOut(DateTimeOffset? lockoutEnd)
    {
        var now = DateTimeOffset.UtcNow;
        var left = (lockoutEnd ?? now) - now;
        return new CredentialResult(CredentialOutcome.LockedOut, null, left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1));
    }
}
