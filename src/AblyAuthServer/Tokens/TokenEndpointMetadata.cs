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
