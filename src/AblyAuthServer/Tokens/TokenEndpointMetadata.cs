using System.Text.Json.Nodes;
using AblyAuthServer.Ably;
using AblyAuthServer.OpenApi;

namespace AblyAuthServer.Tokens;

/// <summary>How the token endpoints describe themselves in the OpenAPI document, declared where they are mapped.</summary>
internal static class TokenEndpointMetadata
{
    internal const string CallerDescription =
        " The caller is authenticated by the session cookie, 'Authorization: Bearer <sessionToken>', 'Authorization: Basic', or" +
        " 'Authorization: Bearer <JWT>' from an identity provider configured in Auth:Issuers (its token's exp caps the Ably token's)." +
        " 'clientId', 'capability' (a JSON string) and 'ttl' (milliseconds) may narrow the token, never widen it beyond the caller's policy;" +
        " other parameters are ignored. 401 means log in again (SDKs retry); 403 means refused (SDKs stop).";

    internal const string ExampleJwt =
        "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFwcElkLmtleUlkIiwidHlwIjoiSldUIn0.eyJpYXQiOjE3OTU0MzI3NzAsImV4cCI6MTc5NTQzNjM3MCwieC1hYmx5LWNhcGFiaWxpdHkiOiJ7XCJjaGF0OipcIjpbXCJwdWJsaXNoXCIsXCJzdWJzY3JpYmVcIl19IiwieC1hYmx5LWNsaWVudElkIjoiYWxpY2UifQ.3uN3wUzS0H1xvn8JxKk2h1JtW0m4Q4oGz0n3HkQpD5E";

    /// <summary>What every refusal of the token endpoints means, for readers and client generators.</summary>
    public static TBuilder WithTokenProblemDescriptions<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithProblemDescriptions(
        (StatusCodes.Status400BadRequest, "The request is malformed: 'detail' says which parameter and why."),
        (StatusCodes.Status401Unauthorized, "Not authenticated, or the session expired or ended: log in again. Ably SDKs retry later."),
        (StatusCodes.Status403Forbidden, "Authenticated but refused (clientId or capability outside policy, account disabled). Ably SDKs stop retrying."),
        (StatusCodes.Status413PayloadTooLarge, "The request body is larger than 16 KiB."),
        (StatusCodes.Status415UnsupportedMediaType, "The body is neither application/json nor application/x-www-form-urlencoded."),
        (StatusCodes.Status422UnprocessableEntity, "Not in this form: a JWT would exceed Ably:MaxJwtBytes, or policy gives the caller JWT-only claims (channel claims, publish limits, server client type) that other forms cannot carry."),
        (StatusCodes.Status429TooManyRequests, "Too many attempts: the account is locked out, or a rate limit was reached. See Retry-After."));

    public static RouteHandlerBuilder WithJwtMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("Issue an Ably JWT")
        .WithDescription("Returns an Ably JWT (HS256, kid = key name) for the caller, as an authUrl target for Ably SDKs." + CallerDescription)
        .Produces<string>(StatusCodes.Status200OK, TokenEndpoints.JwtContentType)
        .WithResponse(StatusCodes.Status200OK, "The Ably JWT, and nothing else (an authUrl response ably-js accepts as a token string).", JsonValue.Create(ExampleJwt))
        .WithErrors()
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    public static RouteHandlerBuilder WithTokenRequestMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("Issue a signed Ably TokenRequest")
        .WithDescription("Returns a TokenRequest signed with the key secret, which the SDK exchanges with Ably for an Ably Token." + CallerDescription)
        .Produces<TokenRequest>(StatusCodes.Status200OK, "application/json")
        .WithResponse(StatusCodes.Status200OK, "A TokenRequest signed with the key secret; the SDK exchanges it with Ably for an Ably Token.", new JsonObject
        {
            ["keyName"] = "appId.keyId",
            ["clientId"] = "alice",
            ["capability"] = """{"chat:*":["publish","subscribe"]}""",
            ["ttl"] = 3600000,
            ["timestamp"] = 1795432770846,
            ["nonce"] = "a41024a1f063683ee3581f9409d86567",
            ["mac"] = "if+ULbeqDiHfbqA9jhqYfRreWWMslFZh5W8hmbe0uLc=",
        })
        .WithErrors()
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    public static RouteHandlerBuilder WithTokenDetailsMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("Obtain an Ably Token from Ably")
        .WithDescription(
            "Asks Ably for an Ably Token (POST /keys/{keyName}/requestToken with a TokenRequest the server signs) and returns its TokenDetails, " +
            "which ably-js takes as an authUrl answer because it has 'issued'. The client never calls Ably's token endpoint itself; every token " +
            "costs this server a call to Ably. Off unless Ably:AblyTokens is true (404)." + CallerDescription +
            " A refusal by Ably is a 502 carrying Ably's own code in X-Ably-ErrorCode, never a 401 or 403: the caller's credentials were accepted.")
        .Produces<TokenDetails>(StatusCodes.Status200OK, "application/json")
        .WithResponse(StatusCodes.Status200OK, "The Ably Token's TokenDetails, as Ably issued them; 'capability' is the JSON text Ably returned.", new JsonObject
        {
            ["token"] = "xVLyHw.DV4Zr5sMO4-Bk6vXwjN2aCuu8Ph8xdDVR0ozkEBTPqfVa_YRRFz0GXc7tYMvNwm8",
            ["keyName"] = "appId.keyId",
            ["issued"] = 1795432770846,
            ["expires"] = 1795436370846,
            ["capability"] = """{"chat:*":["publish","subscribe"]}""",
            ["clientId"] = "alice",
        })
        .WithErrors()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status502BadGateway)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status504GatewayTimeout)
        .WithResponse(StatusCodes.Status404NotFound, "Ably Tokens are off on this server (Ably:AblyTokens is false).")
        .WithResponse(StatusCodes.Status422UnprocessableEntity,
            "Policy gives the caller JWT-only claims (channel claims, publish limits, server client type), which an Ably Token cannot carry: use /ably/token.")
        .WithResponse(StatusCodes.Status502BadGateway,
            "Ably refused the token (X-Ably-ErrorCode is Ably's code, e.g. 40101 for the server's key, 40160 for a capability the key does not permit), " +
            "failed after retries, could not be reached, or answered with something that is not TokenDetails for this request.")
        .WithResponse(StatusCodes.Status503ServiceUnavailable,
            "Ably failed repeatedly just now and the server is not calling it for a few seconds. See Retry-After.",
            null,
            new OpenApiHeaderMetadata("Retry-After", "Seconds until the server calls Ably again.", IsInteger: true))
        .WithResponse(StatusCodes.Status504GatewayTimeout, "Ably did not issue the token within Ably:AblyTokenTimeout, or the request exceeded Hosting:RequestTimeout.");

    /// <summary>The POST forms read a body, which adds two refusals.</summary>
    public static RouteHandlerBuilder WithBodyErrors(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static RouteHandlerBuilder WithErrors(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);
}
