using System.Security.Cryptography;
using System.Text;
using AblyAuthServer.Authentication;
using AblyAuthServer.Policies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Caching.Memory;

namespace AblyAuthServer.Sessions;

/// <summary>
/// Issues and reads session tokens: a compact binary ticket encrypted and authenticated with ASP.NET Core
/// data protection (the same key ring protects it on every replica that shares the keys).
/// </summary>
public sealed class SessionTokens(IDataProtectionProvider protection) : IDisposable
{
    /// <summary>The longest token accepted; real ones are a few hundred characters.</summary>
    public const int MaxTokenLength = 4096;

    /// <summary>What the verified-ticket cache may hold, in (estimated) bytes of keys and tickets.</summary>
    public const long CacheBytesLimit = 32L * 1024 * 1024;

    private const byte FormatVersion = 1;
    private static readonly TimeSpan MaxCacheTime = TimeSpan.FromMinutes(5);
    private readonly IDataProtector _protector = protection.CreateProtector("AblyAuthServer.Sessions.v1");

    // Decrypting a ticket costs a key derivation, AES and an HMAC; an SDK refreshes with the same token again and
    // again, so verified tickets are kept by their token text, which IsCanonical makes the one spelling of those bytes.
    // Expiry, logout and the account are still checked on every request by the caller; only the decryption is saved.
    private readonly MemoryCache _verified = new(new MemoryCacheOptions { SizeLimit = CacheBytesLimit });

    /// <summary>Like <see cref="Unprotect"/>, remembering verified tickets for a few minutes.</summary>
    public SessionTicket? Read(string token)
    {
        if (!IsCanonical(token))
        {
            return null;
        }

        if (_verified.TryGetValue(token, out SessionTicket? cached))
        {
            return cached;
        }

        var ticket = Unprotect(token);
        if (ticket is not null)
        {
            _verified.Set(token, ticket, new MemoryCacheEntryOptions { Size = EstimatedBytes(token, ticket), AbsoluteExpirationRelativeToNow = MaxCacheTime });
        }

        return ticket;
    }

    /// <summary>
    /// True for the one spelling <see cref="Protect"/> produces: base64url without padding or whitespace, at most
    /// <see cref="MaxTokenLength"/> characters, and zero bits after the last byte. Every other spelling of the same
    /// bytes is refused, so a client cannot mint cache keys (or log lines) by re-spelling one token.
    /// </summary>
    public static bool IsCanonical(string token) => token.Length <= MaxTokenLength && CanonicalBase64Url.IsCanonical(token);

    public void Dispose() => _verified.Dispose();

    public static string NewSessionId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static long EstimatedBytes(string token, SessionTicket ticket) =>
        256 + (2L * (token.Length + ticket.SessionId.Length + ticket.Account.UserId.Length + ticket.Account.UserName.Length
            + ticket.Account.ClientId.Length + ticket.SecurityStamp.Length + ticket.Account.Roles.Sum(role => role.Length + 16)));
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
