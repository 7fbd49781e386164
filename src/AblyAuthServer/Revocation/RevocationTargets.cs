using System.Text.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Revocation;

/// <summary>
/// The revocation-key scheme, in one place: which <c>x-ably-revocation-key</c> a JWT carries, and which
/// <c>revokeTokens</c> targets each cause sends (docs/revocation.md explains the choice).
/// <list type="bullet">
/// <item>A session's JWTs for the account's own clientId carry the session's key: a logout revokes that session only.</item>
/// <item>Every other JWT (Basic callers; session tokens for another clientId or <c>*</c>, which only roles allowing any
/// clientId can ask for) carries the account's key.</item>
/// <item>An account-wide cause sends <c>clientId:&lt;the account's clientId&gt;</c> (every own-clientId token, whichever
/// session or credential minted it, TokenRequest-issued Ably Tokens too) and the account's key (every other JWT).</item>
/// </list>
/// Keys are HMACs of the session or account id under the Ably key's secret: unguessable, unlinkable to the clientId
/// or user name, the same on every replica and in the CLI, and nothing to store.
/// </summary>
public sealed class RevocationTargets(IServiceProvider services, IConfiguration configuration, PolicySet policies, TimeProvider time)
{
    // Read straight from configuration: the users CLI runs without an Ably key (its options would not validate) unless
    // revocable mode needs one, and then the key and options are resolved, and checked, on first use.
    private readonly bool _enabled = configuration.GetValue<bool>($"{AblyOptions.SectionName}:{nameof(AblyOptions.Revocable)}");

    public const string Logout = "logout";
    public const string SetPassword = "set-password";
    public const string Disable = "disable";
    public const string Remove = "remove";
    public const string RevokeTokens = "revoke-tokens";

    /// <summary>True in revocable mode (<c>Ably:Revocable</c>): keys go into JWTs and causes write the outbox.</summary>
    public bool Enabled => _enabled;

    private AblyKey Key => services.GetRequiredService<AblyKey>();

    private AblyOptions Options => services.GetRequiredService<IOptions<AblyOptions>>().Value;

    /// <summary>The key of one session's own-clientId JWTs.</summary>
    public string SessionKey(string sessionId) => Key.DeriveIdentifier("revocation-key/session", sessionId);

    /// <summary>The key of an account's other JWTs; an identity provider's subjects are kept apart by their issuer.</summary>
    public string AccountKey(string userId, string? issuer = null) =>
        Key.DeriveIdentifier("revocation-key/account", issuer is null ? userId : $"{issuer}\n{userId}");

    /// <summary>The <c>x-ably-revocation-key</c> of a JWT for <paramref name="caller"/> with <paramref name="clientId"/>; null outside revocable mode.</summary>
    public string? KeyFor(AuthenticatedCaller caller, string clientId)
    {
        if (!Enabled)
        {
            return null;
        }

        return caller.Session is { } session && string.Equals(clientId, caller.Account.ClientId, StringComparison.Ordinal)
            ? SessionKey(session.SessionId)
            : AccountKey(caller.Account.UserId, caller.Issuer);
    }

    /// <summary>
    /// A logout: the session's key, and the account's key when its roles let it mint tokens for other clientIds (those
    /// carry the account key, so the account's other sessions lose theirs too and fetch new ones).
    /// </summary>
    public RevocationEntry? ForLogout(SessionTicket session)
    {
        if (!Enabled)
        {
            return null;
        }

        List<string> targets = [$"revocationKey:{SessionKey(session.SessionId)}"];
        if (policies.AllowsAnyClientId(session.Account.Roles))
        {
            targets.Add($"revocationKey:{AccountKey(session.Account.UserId)}");
        }

        return Entry(Logout, session.Account.UserId, session.Account.UserName, targets);
    }

    /// <summary>An account-wide cause: every token of the account issued before now.</summary>
    public RevocationEntry? ForAccount(string reason, AccountUser user)
    {
        if (!Enabled)
        {
            return null;
        }

        return Entry(reason, user.Id, user.UserName!, [$"clientId:{user.EffectiveClientId}", $"revocationKey:{AccountKey(user.Id)}"]);
    }

    private RevocationEntry Entry(string reason, string userId, string userName, List<string> targets) => new()
    {
        Reason = reason,
        UserId = userId,
        UserName = userName,
        Targets = JsonSerializer.Serialize(targets),
        CausedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        State = RevocationState.Pending,
        // Held back for a moment so every replica has dropped its cached view of the account before Ably disconnects
        // the clients, which then ask for new tokens at once.
        NextAttemptAt = (RevocationOutbox.WallClock.GetUtcNow() + RevocationOutbox.SettleDelay(Options)).ToUnixTimeMilliseconds(),
    };
}
