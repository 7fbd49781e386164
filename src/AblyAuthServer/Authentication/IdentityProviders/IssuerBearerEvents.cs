using AblyAuthServer.Hosting;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Policies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Authentication.IdentityProviders;

/// <summary>
/// Connects the framework's JwtBearer handler for one provider to this server: a verified token becomes an
/// <see cref="AuthenticatedCaller"/>, and refusals are problems like every other one here. A token that is not
/// acceptable now (expired, wrong audience, bad signature, unknown key) gets 401, so the SDK asks the app for a fresh
/// one; a provider that cannot be reached gets 503; a caller that can never get a token gets 403.
/// </summary>
internal sealed class IssuerBearerEvents(IssuerOptions issuer, PolicySet policies, AuthMetrics metrics, VerifiedIssuerTokens verified) : JwtBearerEvents
{
    public const string InvalidTokenDetail =
        "The identity provider's token is not acceptable now (expired or not yet valid, another issuer or audience, or a signature that does not verify): get a fresh token from the provider and ask again.";

    private const string UnavailableKey = "AblyAuthServer.IssuerUnavailable";

    /// <summary>A token this replica verified before, still within its exp and signed by a key still published, is not verified again.</summary>
    public override async Task MessageReceived(MessageReceivedContext context)
    {
        if (CallerSchemes.BearerToken(context.Request.Headers.Authorization.ToString()) is not { } token
            || verified.Find(context.Scheme.Name, token) is not { } entry)
        {
            return;
        }

        if (entry.KeyId is { } keyId && !await IsPublishedAsync(context.Options, keyId, context.HttpContext.RequestAborted))
        {
            verified.Remove(token);
            return;
        }

        Accept(context.HttpContext, entry.Caller);
        context.Principal = entry.Caller.ToPrincipal(context.Scheme.Name);
        context.Success();
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken token)
        {
            context.Fail("The token is not a JWS.");
            return Task.CompletedTask;
        }

        // Providers whose access tokens name no audience (Cognito) name the app in another claim.
        if (issuer.AudienceClaim is { } audienceClaim)
        {
            using var claims = IssuerClaims.Of(token);
            if (claims.String(audienceClaim) is not { } audience || !issuer.AcceptedAudiences.Contains(audience, StringComparer.Ordinal))
            {
                context.Fail($"The token's {audienceClaim} is not an accepted audience.");
                return Task.CompletedTask;
            }
        }

        var caller = IssuerCallers.From(token, issuer, policies);
        Accept(context.HttpContext, caller);
        context.Principal = caller.ToPrincipal(context.Scheme.Name);

        // A provider with a shared secret has one key for the process's life; one with published keys must still publish
        // the token's key when the cached entry is used, so a token without a kid is verified every time.
        var keyId = token.SigningKey?.KeyId is { Length: > 0 } signingKeyId ? signingKeyId : token.Kid is { Length: > 0 } kid ? kid : null;
        if (keyId is not null || issuer.SymmetricKey is not null)
        {
            verified.Add(token.EncodedToken, new VerifiedIssuerTokens.Entry(
                context.Scheme.Name, caller, issuer.SymmetricKey is null ? keyId : null, new DateTimeOffset(token.ValidTo, TimeSpan.Zero)));
        }

        return Task.CompletedTask;
    }

    public override Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        // No keys could be had (discovery or JWKS unreachable, nothing cached): not the caller's fault. IdentityModel says
        // so with stable message ids: IDX20803 (no configuration) or IDX10500 (validation had no keys at all).
        var message = context.Exception.Message;
        var unavailable = (context.Exception is InvalidOperationException && message.StartsWith("IDX20803", StringComparison.Ordinal))
            || (context.Exception is SecurityTokenSignatureKeyNotFoundException && message.StartsWith("IDX10500", StringComparison.Ordinal));
        if (unavailable)
        {
            context.HttpContext.Items[UnavailableKey] = true;
        }

        metrics.IssuerTokenRefused(issuer.ExpectedIssuer, unavailable ? "unavailable" : "invalid");
        return Task.CompletedTask;
    }

    public override Task Challenge(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        if (http.Items.ContainsKey(UnavailableKey))
        {
            http.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(TimeSpan.FromSeconds(5));
            return ProblemResponses.WriteAsync(http, StatusCodes.Status503ServiceUnavailable,
                "The identity provider cannot be reached to check the token right now; try again later.");
        }

        http.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{CallerSchemes.Realm}\", error=\"invalid_token\"";
        if (context.AuthenticateFailure is null)
        {
            metrics.IssuerTokenRefused(issuer.ExpectedIssuer, "invalid");
        }

        return ProblemResponses.WriteAsync(http, StatusCodes.Status401Unauthorized, InvalidTokenDetail);
    }

    public override Task Forbidden(ForbiddenContext context) => CallerSchemes.ForbidAsync(context.HttpContext);

    private void Accept(HttpContext context, AuthenticatedCaller caller)
    {
        if (caller.Refusal is not null)
        {
            metrics.IssuerTokenRefused(issuer.ExpectedIssuer, "forbidden");
        }

        context.Features.Set(caller);
    }

    /// <summary>Whether the provider's current keys (as the handler last fetched them) still include <paramref name="keyId"/>.</summary>
    private static async Task<bool> IsPublishedAsync(JwtBearerOptions options, string keyId, CancellationToken cancellationToken)
    {
        if (options.ConfigurationManager is not { } manager)
        {
            return false;
        }

        try
        {
            var configuration = await manager.GetConfigurationAsync(cancellationToken);
            foreach (var key in configuration.SigningKeys)
            {
                if (key.KeyId == keyId)
                {
                    return true;
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or OperationCanceledException)
        {
            // The keys cannot be had now: verify the token the full way, which answers as the provider's state deserves.
        }

        return false;
    }
}
