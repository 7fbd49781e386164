using Microsoft.AspNetCore.Identity;

namespace AblyAuthServer.Accounts;

/// <summary>
/// A hash of a random password made once per host with the host's own hasher settings, so checking a name that does
/// not exist costs what checking a real account's password costs.
/// </summary>
public sealed class DummyPasswordHash
{
    internal static readonly AccountUser User = new() { UserName = "unknown" };
    private string? _hash;

    public string Hash(IPasswordHasher<AccountUser> hasher) =>
        _hash ??= hasher.HashPassword(User, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
}
