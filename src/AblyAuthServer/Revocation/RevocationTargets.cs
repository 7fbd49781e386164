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
/// Keys are HMACs of the session or account id under the secret of the Ably key that signs the JWT: unguessable,
/// unlinkable to the clientId or user name, the same on every replica and in the CLI, and nothing to store. With several
/// Ably keys, a cause sends each key the targets derived under it, since only a token's own key can revoke it.
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

    private AblyKeyRing Keys => services.GetRequiredService<AblyKeySource>().Current;

    private AblyOptions Options => services.GetRequiredService<IOptions<AblyOptions>>().Value;

    /// <summary>The key of one session's own-clientId JWTs signed with <paramref name="key"/>.</summary>
    public static string SessionKey(string sessionId, AblyKey key) => key.DeriveIdentifier("revocation-key/session", sessionId);

    /// <summary>
    /// The key of an account's other JWTs signed with <paramref name="key"/>; an identity provider's subjects are kept
    /// apart by their issuer.
    /// </summary>
    public static string AccountKey(string userId, AblyKey key, string? issuer = null) =>
        key.DeriveIdentifier("revocation-key/account", issuer is null ? userId : $"{issuer}\n{userId}");

    /// <summary>
    /// The <c>x-ably-revocation-key</c> of a JWT for <paramref name="caller"/> with <paramref name="clientId"/>, signed
    /// with <paramref name="key"/>; null outside revocable mode.
    /// </summary>
    public string? KeyFor(AuthenticatedCaller caller, string clientId, AblyKey key)
    {
        if (!Enabled)
        {
            return null;
        }

        return caller.Session is { } session && string.Equals(clientId, caller.Account.ClientId, StringComparison.Ordinal)
            ? SessionKey(session.SessionId, key)
            : AccountKey(caller.Account.UserId, key, caller.Issuer);
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

        var anyClientId = policies.AllowsAnyClientId(session.Account.Roles);
        return Entry(Logout, session.Account.UserId, session.Account.UserName, key =>
            anyClientId
                ? [$"revocationKey:{SessionKey(session.SessionId, key)}", $"revocationKey:{AccountKey(session.Account.UserId, key)}"]
                : [$"revocationKey:{SessionKey(session.SessionId, key)}"]);
    }

    /// <summary>An account-wide cause: every token of the account issued before now.</summary>
    public RevocationEntry? ForAccount(string reason, AccountUser user)
    {
        if (!Enabled)
        {
            return null;
        }

        return Entry(reason, user.Id, user.UserName!, key => [$"clientId:{user.EffectiveClientId}", $"revocationKey:{AccountKey(user.Id, key)}"]);
    }

    /// <summary>
    /// The targets of each key that may have signed a token still alive: only a token's own key can revoke it, and its
    /// revocation keys were derived under that key.
    /// </summary>
    public static string SerializeTargets(IReadOnlyDictionary<string, List<string>> targetsByKey) => JsonSerializer.Serialize(targetsByKey);

    /// <summary>
    /// The targets of a row, by key name; a plain array (a row written before keys were listed per key) is for the key
    /// that signs now. Null when the row cannot be read.
    /// </summary>
    public static Dictionary<string, List<string>>? ParseTargets(string json, AblyKey signingKey)
    {
        try
        {
            return json.TrimStart().StartsWith('[')
                ? JsonSerializer.Deserialize<List<string>>(json) is { } legacy ? new() { [signingKey.Name] = legacy } : null
                : JsonSerializer.Deserialize<Dictionary<string, List<string>>>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private RevocationEntry Entry(string reason, string userId, string userName, Func<AblyKey, List<string>> targets) => new()
    {
        Reason = reason,
        UserId = userId,
        UserName = userName,
        Targets = SerializeTargets(Keys.Keys.ToDictionary(key => key.Name, targets, StringComparer.Ordinal)),
        CausedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        State = RevocationState.Pending,
        // Held back for a moment so every replica has dropped its cached view of the account before Ably disconnects
        // the clients, which then ask for new tokens at once.
        NextAttemptAt = (RevocationOutbox.WallClock.GetUtcNow() + RevocationOutbox.SettleDelay(Options)).ToUnixTimeMilliseconds(),
    };
}
