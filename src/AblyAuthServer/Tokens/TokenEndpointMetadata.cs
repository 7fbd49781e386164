using AblyAuthServer.Ably;



namespace AblyAuthServer.Tokens;

/// <summary>OpenAPI descriptions shared by the GET and POST forms of each token endpoint.</summary>
internal static class TokenEndpointMetadata
{
    private const string CallerDescription =
        " The caller is authenticated by the session cookie, 'Authorization: Bearer <sessionToken>' or 'Authorization: Basic'." +
        " 'clientId', 'capability' (a JSON string) and 'ttl' (milliseconds) may narrow the token, never widen it beyond the caller's policy;" +
        " other parameters are ignored. 401 means log in again (SDKs retry); 403 means refused (SDKs stop).";

    public static RouteHandlerBuilder WithJwtMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("Issue an Ably JWT")
        .WithDescription("Returns an Ably JWT (HS256, kid = key name) for the caller, as an authUrl target for Ably SDKs." + CallerDescription)
        .Produces<string>(StatusCodes.Status200OK, TokenEndpoints.JwtContentType)
        .WithErrors()
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    public static RouteHandlerBuilder WithTokenRequestMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("Issue a signed Ably TokenRequest")
        .WithDescription("Returns a TokenRequest signed with the key secret, which the SDK exchanges with Ably for an Ably Token." + CallerDescription)
        .Produces<TokenRequest>(StatusCodes.Status200OK, "application/json")
        .WithErrors();

    public static RouteHandlerBuilder WithTokenParametersBody(this RouteHandlerBuilder builder) => builder
        .Accepts(typeof(TokenParametersBody), isOptional: true, "application/x-www-form-urlencoded", "application/json")
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static RouteHandlerBuilder WithErrors(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);
}
