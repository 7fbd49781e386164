using AblyAuthServer.Ably;

namespace AblyAuthServer.Policies;

/// <summary>What a channel claim's placeholders stand for, for one token.</summary>
/// <param name="ClientId">The token's clientId (<c>*</c> for a wildcard token).</param>
/// <param name="UserName">The account's user name, or an identity provider's (prefixed) subject.</param>
/// <param name="DisplayName">The profile's display name, or empty.</param>
/// <param name="Roles">The caller's roles.</param>
public sealed record ClaimValues(string ClientId, string UserName, string DisplayName, IReadOnlyList<string> Roles)
{
    /// <summary>
    /// The template with every placeholder replaced by its value escaped for a JSON string, in one pass: a value that
    /// itself looks like a placeholder (a display name of "{roles}") stays as it is.
    /// </summary>
    public string Fill(string template) =>
        template.Contains('{', StringComparison.Ordinal)
            ? PolicySet.PlaceholderPattern().Replace(template, match => match.Value switch
            {
                PolicySet.ClientIdPlaceholder => JsonText.Escape(ClientId),
                "{userName}" => JsonText.Escape(UserName),
                "{displayName}" => JsonText.Escape(DisplayName),
                "{roles}" => JsonText.Escape(string.Join(',', Roles.Order(StringComparer.Ordinal))),
                _ => match.Value,
            })
            : template;
}
