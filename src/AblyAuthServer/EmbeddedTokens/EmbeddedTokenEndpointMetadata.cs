using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using AblyAuthServer.OpenApi;
using AblyAuthServer.Tokens;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>How the embedded-token endpoints describe themselves in the OpenAPI document, declared where they are mapped.</summary>
internal static class EmbeddedTokenEndpointMetadata
{
    public const string PublicationTag = "Token verification";

    private const string NotEnabled = "Embedded tokens are off: EmbeddedTokens:Issuer is not set.";
    private const string ExampleKeyId = "mKkW3l0t1nF7yQ9v2cB8xZ4aJ6eH5gD0sR3uP1oL7iE";
    private const string ExampleX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    private const string ExampleY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    private static readonly string ExampleToken = string.Join('.',
        Encode($$"""{"alg":"ES256","kid":"{{ExampleKeyId}}","typ":"JWT","x-ably-token":"{{TokenEndpointMetadata.ExampleJwt}}"}"""),
        Encode("""{"sub":"alice","ably_client_id":"alice","roles":["member"],"iat":1795432770,"exp":1795436370,"iss":"https://auth.example.com","aud":"https://api.example.com"}"""),
        "q3Rk8dGx2oJcY1LwV9nB0pZs7TfA4uHm6eKiN5yQrCtW1xE8vS2aD3gF0hJ7lM9oP4bU6cI1zR5wX8kT2nY3sA");

    public static RouteHandlerBuilder WithEmbeddedTokenMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("Issue an embedded token: one token for Ably and for your own APIs")
        .WithDescription(
            "Returns a JWT (ES256) signed with this server's own key, which an app's APIs verify through " + EmbeddedTokenEndpoints.DiscoveryPath +
            " (iss EmbeddedTokens:Issuer, aud EmbeddedTokens:Audience, sub the account's user name or the identity provider's prefixed subject, " +
            "ably_client_id, roles, iat, exp). Its JOSE header carries, as 'x-ably-token', the Ably JWT /ably/token would issue for the same " +
            "request; Ably verifies that one, so the token is also an authUrl answer for Ably SDKs. exp is never later than the Ably JWT's. " +
            "Ably:MaxJwtBytes counts the whole token. 404 when EmbeddedTokens:Issuer is not set." + TokenEndpointMetadata.CallerDescription)
        .Produces<string>(StatusCodes.Status200OK, TokenEndpoints.JwtContentType)
        .WithResponse(StatusCodes.Status200OK, "The embedded token, and nothing else (an authUrl response ably-js accepts as a token string).", JsonValue.Create(ExampleToken))
        .WithProblems(
            StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
            StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable)
        .WithProblemDescriptions(
            (StatusCodes.Status404NotFound, NotEnabled),
            (StatusCodes.Status422UnprocessableEntity, "The embedded token would exceed Ably:MaxJwtBytes (the Ably JWT inside counts too)."),
            (StatusCodes.Status503ServiceUnavailable, "No signing key is available: the account store cannot be read, or this server cannot unprotect the stored key."));

    public static RouteHandlerBuilder WithDiscoveryMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("OpenID Connect discovery for embedded tokens")
        .WithDescription(
            "A minimal OpenID Connect Discovery 1.0 document, so an API can set this server's EmbeddedTokens:Issuer as its JwtBearer Authority " +
            "(or any OIDC-aware verifier can find the keys). Built from configuration, never from request headers. authorization_endpoint names " +
            "the login endpoint, where users authenticate; it is not an OAuth 2.0 authorization endpoint, hence response_types_supported ['none'].")
        .Produces<OpenIdConfiguration>(StatusCodes.Status200OK, "application/json")
        .WithResponse(StatusCodes.Status200OK, "The discovery document.", new JsonObject
        {
            ["issuer"] = "https://auth.example.com",
            ["jwks_uri"] = "https://auth.example.com" + EmbeddedTokenEndpoints.JwksPath,
            ["authorization_endpoint"] = "https://auth.example.com/auth/login",
            ["response_types_supported"] = new JsonArray("none"),
            ["subject_types_supported"] = new JsonArray("public"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("ES256"),
        })
        .WithProblems(StatusCodes.Status404NotFound)
        .WithProblemDescriptions((StatusCodes.Status404NotFound, NotEnabled));

    public static RouteHandlerBuilder WithKeySetMetadata(this RouteHandlerBuilder builder) => builder
        .WithSummary("The public keys that verify embedded tokens")
        .WithDescription(
            "A JWK Set (RFC 7517) of P-256 keys: the key that signs now, the next one from EmbeddedTokens:KeyPrepublication before it signs, " +
            "and retired ones until every token they signed has expired (Ably:MaxTtl). Match a token's kid to a key's kid.")
        .Produces<PublicJsonWebKeySet>(StatusCodes.Status200OK, "application/json")
        .WithResponse(StatusCodes.Status200OK, "The published public keys.", new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["x"] = ExampleX,
                ["y"] = ExampleY,
                ["kid"] = ExampleKeyId,
                ["use"] = "sig",
                ["alg"] = "ES256",
            }),
        })
        .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
        .WithProblemDescriptions(
            (StatusCodes.Status404NotFound, NotEnabled),
            (StatusCodes.Status503ServiceUnavailable, "The keys cannot be loaded from the account store yet."));

    private static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
}
