using System.Globalization;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Policies;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Authentication.IdentityProviders;

/// <summary>
/// Identity providers as caller sources: one scheme of the framework's <see cref="JwtBearerHandler"/> per
/// <c>Auth:Issuers:&lt;i&gt;</c>, with the defaults that do not fit here set explicitly, and the source that routes a
/// bearer JWT to its provider's scheme by its unverified <c>iss</c>. The schemes are added from the options when the
/// authentication services are first used, so providers configured by any source (files, environment, tests) count.
/// </summary>
public static class IdentityProviderSetup
{
    /// <summary>Providers' tokens are checked with this much leeway on exp and nbf, no more.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>How long a discovery or JWKS request may take: a slow provider must not hold its users for long.</summary>
    public static readonly TimeSpan BackchannelTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The least time between two key refreshes that unknown <c>kid</c>s trigger.</summary>
    public static readonly TimeSpan KeyRefreshInterval = TimeSpan.FromSeconds(30);

    private const string SchemePrefix = "issuer-";

    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>The authentication scheme of <c>Auth:Issuers:&lt;index&gt;</c>.</summary>
    public static string SchemeName(int index) => SchemePrefix + index.ToString(CultureInfo.InvariantCulture);

    public static IServiceCollection AddIdentityProviders(this IServiceCollection services)
    {
        services.AddSingleton<ICallerSource, IssuerCallerSource>();
        services.AddSingleton<VerifiedIssuerTokens>();
        services.AddOptions<AuthenticationOptions>().Configure<IOptions<CallerAuthOptions>>((authentication, callers) =>
        {
            for (var i = 0; i < callers.Value.Issuers.Count; i++)
            {
                authentication.AddScheme(SchemeName(i), scheme => scheme.HandlerType = typeof(JwtBearerHandler));
            }
        });
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, IssuerBearerOptionsSetup>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JwtBearerOptions>, JwtBearerPostConfigureOptions>());
        services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, RetiredKeysRefused>();
        return services;
    }

    internal static bool TryDecodeSymmetricKey(string? base64, out byte[] key)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(base64))
        {
            return false;
        }

        try
        {
            key = Convert.FromBase64String(base64.Trim());
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The JwtBearer options of each provider's scheme.</summary>
    private sealed class IssuerBearerOptionsSetup(
        IOptions<CallerAuthOptions> callers, PolicySet policies, AuthMetrics metrics, VerifiedIssuerTokens verified, TimeProvider time)
        : IConfigureNamedOptions<JwtBearerOptions>
    {
        public void Configure(JwtBearerOptions options)
        {
        }

        public void Configure(string? name, JwtBearerOptions options)
        {
            if (name is null || !name.StartsWith(SchemePrefix, StringComparison.Ordinal)
                || !int.TryParse(name.AsSpan(SchemePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= callers.Value.Issuers.Count)
            {
                return;
            }

            var issuer = callers.Value.Issuers[index];
            var symmetric = TryDecodeSymmetricKey(issuer.SymmetricKey, out var key);
            options.TimeProvider = time;
            options.MapInboundClaims = false;
            options.RequireHttpsMetadata = issuer.RequireHttpsMetadata;
            options.BackchannelTimeout = BackchannelTimeout;
            options.RefreshOnIssuerKeyNotFound = true;
            options.RefreshInterval = KeyRefreshInterval;
            options.SaveToken = false;
            options.Events = new IssuerBearerEvents(issuer, policies, metrics, verified);
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = issuer.ExpectedIssuer,
                ValidateAudience = issuer.AudienceClaim is null,
                ValidAudiences = issuer.AcceptedAudiences,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                ClockSkew = ClockSkew,
                // A provider signs with its asymmetric keys or with a shared secret, never both: an HS256 token made with
                // a provider's public key (algorithm confusion) can never match.
                ValidAlgorithms = symmetric ? [SecurityAlgorithms.HmacSha256] : AsymmetricAlgorithms,
            };

            if (symmetric)
            {
                options.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(key);
                options.Configuration = new OpenIdConnectConfiguration { Issuer = issuer.ExpectedIssuer };
            }
            else
            {
                options.Authority = issuer.Authority;
            }
        }
    }

    /// <summary>
    /// Runs after the framework's post-configuration has made each provider's configuration manager. By default a
    /// signature that fails on the provider's current keys is tried again on every configuration fetched in the last hour
    /// ("last known good"), so a key the provider has withdrawn would still be accepted; a withdrawn key is refused here.
    /// </summary>
    private sealed class RetiredKeysRefused : IPostConfigureOptions<JwtBearerOptions>
    {
        public void PostConfigure(string? name, JwtBearerOptions options)
        {
            if (name is not null && name.StartsWith(SchemePrefix, StringComparison.Ordinal) && options.ConfigurationManager is BaseConfigurationManager manager)
            {
                manager.UseLastKnownGoodConfiguration = false;
            }
        }
    }
}
