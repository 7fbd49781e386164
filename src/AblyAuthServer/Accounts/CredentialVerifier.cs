using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Policies;
using Microsoft.AspNetCore.Identity;

namespace AblyAuthServer.Accounts;

public enum CredentialOutcome
{
    Succeeded,
    Invalid,
    LockedOut,

    /// <summary>Too many password checks are already running or waiting; nothing was checked.</summary>
    Busy,
}

/// <summary>The outcome of a password check; <see cref="RetryAfter"/> is set when locked out or busy.</summary>
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
    private readonly AuthMetrics _metrics;
    private readonly PasswordCheckGate _gate;

    public CredentialVerifier(UserManager<AccountUser> users, IPasswordHasher<AccountUser> hasher, UnknownUserThrottle unknownUsers, AuthMetrics metrics, PasswordCheckGate gate)
    {
        _gate = gate;
        _users = users;
        _hasher = hasher;
        _unknownUsers = unknownUsers;
        _metrics = metrics;
    }

    /// <summary>The Ably identity a verified account acts as: its clientId and its roles.</summary>
    public async Task<AccountIdentity> IdentityOfAsync(AccountUser user) =>
        new(user.Id, user.UserName!, user.EffectiveClientId, [.. await _users.GetRolesAsync(user)]);

    public async Task<CredentialResult> VerifyAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        using var lease = await _gate.EnterAsync(cancellationToken);
        if (!lease.IsAcquired)
        {
            return new CredentialResult(CredentialOutcome.Busy, null, TimeSpan.FromSeconds(1));
        }

        var result = await CheckAsync(userName, password);
        if (result.Outcome != CredentialOutcome.Succeeded)
        {
            _metrics.LoginFailed(lockedOut: result.Outcome == CredentialOutcome.LockedOut);
        }

        return result;
    }

    private async Task<CredentialResult> CheckAsync(string userName, string password)
    {
        var user = await _users.FindByNameAsync(userName);
        if (user is null)
        {
            return await VerifyUnknownAsync(userName, password);
        }

        if (await _users.IsLockedOutAsync(user))
        {
            return LockedOut(user.LockoutEnd);
        }

        if (!await _users.CheckPasswordAsync(user, password))
        {
            await _users.AccessFailedAsync(user);
            if (await _users.IsLockedOutAsync(user))
            {
                _metrics.LockedOut();
                return LockedOut(user.LockoutEnd);
            }

            return Invalid;
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

    private async Task<CredentialResult> VerifyUnknownAsync(string userName, string password)
    {
        var normalized = _users.NormalizeName(userName) ?? userName;
        if (await _unknownUsers.LockedOutForAsync(normalized) is { } left)
        {
            return new CredentialResult(CredentialOutcome.LockedOut, null, left);
        }

        // Same cost as a real check, so timing does not tell which user names exist.
        _dummyHash ??= _hasher.HashPassword(DummyUser, Guid.NewGuid().ToString("N"));
        _hasher.VerifyHashedPassword(DummyUser, _dummyHash, password);
        if (await _unknownUsers.RecordFailureAsync(normalized) is { } lockout)
        {
            _metrics.LockedOut();
            return new CredentialResult(CredentialOutcome.LockedOut, null, lockout);
        }

        return Invalid;
    }

    // Identity computes LockoutEnd from the system clock (it takes no TimeProvider), so the remainder must too.
    private static CredentialResult LockedOut(DateTimeOffset? lockoutEnd)
    {
        var now = DateTimeOffset.UtcNow;
        var left = (lockoutEnd ?? now) - now;
        return new CredentialResult(CredentialOutcome.LockedOut, null, left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1));
    }
}
