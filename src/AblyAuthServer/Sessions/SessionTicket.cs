using System.Security.Cryptography;
using System.Text;
using AblyAuthServer.Policies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace AblyAuthServer.Sessions;

/// <summary>What a session token proves, so the token path needs no database read.</summary>
public sealed record SessionTicket(
    string SessionId,
    AccountIdentity Account,
    string SecurityStamp,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt);

/// <summary>
/// Issues and reads session tokens: a compact binary ticket encrypted and authenticated with ASP.NET Core
/// data protection (the same key ring protects it on every replica that shares the keys).
/// </summary>
public sealed class SessionTokens(IDataProtectionProvider protection)
{
    private const byte FormatVersion = 1;
    private readonly IDataProtector _protector = protection.CreateProtector("AblyAuthServer.Sessions.v1");

    public static string NewSessionId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string Protect(SessionTicket ticket)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(ticket.SessionId);
            writer.Write(ticket.Account.UserId);
            writer.Write(ticket.Account.UserName);
            writer.Write(ticket.Account.ClientId);
            writer.Write(ticket.Account.Roles.Count);
            foreach (var role in ticket.Account.Roles)
            {
                writer.Write(role);
            }

            writer.Write(ticket.SecurityStamp);
            writer.Write(ticket.IssuedAt.ToUnixTimeMilliseconds());
            writer.Write(ticket.ExpiresAt.ToUnixTimeMilliseconds());
        }

        return WebEncoders.Base64UrlEncode(_protector.Protect(buffer.ToArray()));
    }

    /// <summary>The ticket, or null when the token is malformed, tampered with or from another key ring.</summary>
    public SessionTicket? Unprotect(string token)
    {
        try
        {
            var bytes = _protector.Unprotect(WebEncoders.Base64UrlDecode(token));
            using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (reader.ReadByte() != FormatVersion)
            {
                return null;
            }

            var sessionId = reader.ReadString();
            var userId = reader.ReadString();
            var userName = reader.ReadString();
            var clientId = reader.ReadString();
            var roles = new string[reader.ReadInt32()];
            for (var i = 0; i < roles.Length; i++)
            {
                roles[i] = reader.ReadString();
            }

            var stamp = reader.ReadString();
            var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
            var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
            return new SessionTicket(sessionId, new AccountIdentity(userId, userName, clientId, roles), stamp, issuedAt, expiresAt);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or EndOfStreamException or IOException or OverflowException)
        {
            return null;
        }
    }
}
