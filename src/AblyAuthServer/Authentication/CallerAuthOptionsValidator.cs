using AblyAuthServer.Authentication.IdentityProviders;
using AblyAuthServer.Hosting;
using AblyAuthServer.Policies;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Authentication;

/// <summary>Startup checks of <see cref="CallerAuthOptions"/>: every identity provider is fully and safely described.</summary>
internal sealed class CallerAuthOptionsValidator(PolicySet policies) : IValidateOptions<CallerAuthOptions>
{
    private const int MinimumSymmetricKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, CallerAuthOptions options)
    {
        var failures = new OptionsFailures();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.Issuers.Count; i++)
        {
            var issuer = options.Issuers[i];
            var at = $"Auth:Issuers:{i}";
            if (issuer.SymmetricKey is not null)
            {
                CheckSymmetric(failures, at, issuer);
            }
            else
            {
                CheckAuthority(failures, at, issuer);
            }

            if (issuer.AcceptedAudiences.Count == 0)
            {
                failures.Add($"{at}:Audience", "is missing: name the audience (or Audiences:<j>) this server accepts.");
            }

            if (string.IsNullOrWhiteSpace(issuer.ClientIdClaim))
            {
                failures.Add($"{at}:ClientIdClaim", "must name a claim.");
            }

            if (string.IsNullOrWhiteSpace(issuer.RolesClaim))
            {
                failures.Add($"{at}:RolesClaim", "must name a claim.");
            }

            if (issuer.ClientIdPrefix is { Length: > 0 } prefix && !ClientIds.IsSafe(prefix + "x", out var prefixError))
            {
                failures.Add($"{at}:ClientIdPrefix", $"cannot start a clientId: {prefixError}.");
            }

            foreach (var role in issuer.Roles.Where(role => !policies.IsKnownRole(role)))
            {
                failures.Add($"{at}:Roles", $"names the role '{role}', which no policy defines (Policies:Roles).");
            }

            if (issuer.ExpectedIssuer.Length > 0 && !seen.TryAdd(issuer.ExpectedIssuer, i))
            {
                failures.Add($"{at}:Issuer",
                    $"repeats the iss of Auth:Issuers:{seen[issuer.ExpectedIssuer]}: list several apps of one provider as audiences of one entry.");
            }
        }

        return failures.Result;
    }

    private static void CheckAuthority(OptionsFailures failures, string at, IssuerOptions issuer)
    {
        if (!Uri.TryCreate(issuer.Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{at}:Authority", "must be the provider's absolute http(s) URL, e.g. https://example.eu.auth0.com/.");
        }
        else if (authority.Scheme == Uri.UriSchemeHttp && issuer.RequireHttpsMetadata)
        {
            failures.Add($"{at}:Authority", $"is plain http while {at}:RequireHttpsMetadata is true: use https (false is for local testing only).");
        }

        if (issuer.Issuer is { } iss && string.IsNullOrWhiteSpace(iss))
        {
            failures.Add($"{at}:Issuer", "is empty: leave it unset to expect the Authority as iss.");
        }
    }

    private static void CheckSymmetric(OptionsFailures failures, string at, IssuerOptions issuer)
    {
        var variable = $"{OptionsFailures.EnvironmentVariable(at)}__SYMMETRICKEY or {OptionsFailures.EnvironmentVariable(at)}__SYMMETRICKEY_FILE";
        if (!IdentityProviderSetup.TryDecodeSymmetricKey(issuer.SymmetricKey, out var key) || key.Length < MinimumSymmetricKeyBytes)
        {
            failures.AddLine($"{at}:SymmetricKey ({variable}) must be base64 of at least {MinimumSymmetricKeyBytes} bytes.");
        }

        if (string.IsNullOrWhiteSpace(issuer.Issuer))
        {
            failures.Add($"{at}:Issuer", "is required with SymmetricKey: a shared-secret provider has no discovery to name its iss.");
        }

        if (issuer.Authority is not null)
        {
            failures.Add($"{at}:Authority", "must not be set with SymmetricKey: a shared-secret provider uses no discovery and only HS256.");
        }
    }
}
