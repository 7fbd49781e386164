using System.Text.Json.Nodes;
using AblyAuthServer.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AblyAuthServer.OpenApi;

/// <summary>
/// Completes each operation for client generators: security requirements from the endpoint's policy, the query
/// parameters the SDKs send, response descriptions and headers, and examples.
/// </summary>
internal sealed class AblyOperationFilter : IOperationFilter
{
    private const string ExampleJwt =
        "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFwcElkLmtleUlkIiwidHlwIjoiSldUIn0.eyJpYXQiOjE3OTU0MzI3NzAsImV4cCI6MTc5NTQzNjM3MCwieC1hYmx5LWNhcGFiaWxpdHkiOiJ7XCJjaGF0OipcIjpbXCJwdWJsaXNoXCIsXCJzdWJzY3JpYmVcIl19IiwieC1hYmx5LWNsaWVudElkIjoiYWxpY2UifQ.3uN3wUzS0H1xvn8JxKk2h1JtW0m4Q4oGz0n3HkQpD5E";

    private static readonly Dictionary<string, string> StatusDescriptions = new()
    {
        ["400"] = "The request is malformed: 'detail' says which parameter and why.",
        ["401"] = "Not authenticated, or the session expired or ended: log in again. Ably SDKs retry later.",
        ["403"] = "Authenticated but refused (clientId or capability outside policy, account disabled). Ably SDKs stop retrying.",
        ["413"] = "The request body is larger than 16 KiB.",
        ["415"] = "The body is neither application/json nor application/x-www-form-urlencoded.",
        ["422"] = "The JWT would exceed Ably:MaxJwtBytes; use /ably/token-request instead.",
        ["429"] = "Too many attempts: the account is locked out, or a rate limit was reached. See Retry-After.",
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        var policy = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).FirstOrDefault(p => p is not null);
        var path = "/" + context.ApiDescription.RelativePath;
        var isTokenEndpoint = path.StartsWith("/ably/", StringComparison.Ordinal);

        // Login is how a caller gets credentials: it declares none, explicitly.
        operation.Security = policy is null ? [] : Requirements(context.Document, policy == SessionEndpoints.IssueTokensPolicy);

        if (isTokenEndpoint && context.ApiDescription.HttpMethod == "GET")
        {
            operation.Parameters ??= [];
            foreach (var parameter in TokenQueryParameters())
            {
                operation.Parameters.Add(parameter);
            }
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (StatusDescriptions.TryGetValue(status, out var description) && response is OpenApiResponse concrete)
            {
                concrete.Description = description;
                AddErrorHeaders(concrete, status, isTokenEndpoint);
            }
        }

        Describe(operation, path);
    }

    private static void Describe(OpenApiOperation operation, string path)
    {
        if (operation.Responses is null)
        {
            return;
        }

        switch (operation.OperationId)
        {
            case "GetAblyJwt" or "PostAblyJwt":
                SetSuccess(operation, "The Ably JWT, and nothing else (an authUrl response ably-js accepts as a token string).", JsonValue.Create(ExampleJwt));
                break;
            case "GetAblyTokenRequest" or "PostAblyTokenRequest":
                SetSuccess(operation, "A TokenRequest signed with the key secret; the SDK exchanges it with Ably for an Ably Token.", new JsonObject
                {
                    ["keyName"] = "appId.keyId",
                    ["clientId"] = "alice",
                    ["capability"] = """{"chat:*":["publish","subscribe"]}""",
                    ["ttl"] = 3600000,
                    ["timestamp"] = 1795432770846,
                    ["nonce"] = "a41024a1f063683ee3581f9409d86567",
                    ["mac"] = "if+ULbeqDiHfbqA9jhqYfRreWWMslFZh5W8hmbe0uLc=",
                });
                break;
            case "Login":
                SetSuccess(operation, "Logged in. The same session token is set as an HttpOnly cookie.", new JsonObject
                {
                    ["sessionToken"] = "CfDJ8Azyk32fxUBErLXUONgBTAk…",
                    ["expiresAt"] = "2026-11-23T20:00:00+00:00",
                    ["clientId"] = "alice",
                });
                if (operation.Responses.TryGetValue("200", out var ok) && ok is OpenApiResponse loginOk)
                {
                    loginOk.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    loginOk.Headers["Set-Cookie"] = Header("The session cookie: ably_session=<sessionToken>; path=/; samesite=lax; httponly; secure");
                }

                SetRequestExample(operation, new JsonObject { ["username"] = "alice", ["password"] = "correct horse battery staple" });
                break;
            case "Logout":
                if (operation.Responses.TryGetValue("204", out var noContent) && noContent is OpenApiResponse logoutOk)
                {
                    logoutOk.Description = "The session ended; the cookie is cleared.";
                }

                break;
        }

        if (path.StartsWith("/ably/", StringComparison.Ordinal) && operation.RequestBody is not null)
        {
            SetRequestExample(operation, new JsonObject { ["capability"] = """{"chat:lobby":["subscribe"]}""", ["ttl"] = 600000 });
        }
    }

    private static void SetSuccess(OpenApiOperation operation, string description, JsonNode example)
    {
        if (operation.Responses!.TryGetValue("200", out var response) && response is OpenApiResponse ok)
        {
            ok.Description = description;
            ok.Headers ??= new Dictionary<string, IOpenApiHeader>();
            ok.Headers["Cache-Control"] = Header("Always 'no-store'.");
            foreach (var media in ok.Content?.Values ?? [])
            {
                if (media is OpenApiMediaType concrete)
                {
                    concrete.Example = example;
                }
            }
        }
    }

    private static void SetRequestExample(OpenApiOperation operation, JsonObject example)
    {
        foreach (var (mediaType, media) in operation.RequestBody?.Content ?? new Dictionary<string, IOpenApiMediaType>())
        {
            if (media is OpenApiMediaType concrete && mediaType == "application/json")
            {
                concrete.Example = example.DeepClone();
            }
        }
    }

    private static void AddErrorHeaders(OpenApiResponse response, string status, bool isTokenEndpoint)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        if (status == "429")
        {
            response.Headers["Retry-After"] = Header("Seconds until another attempt may succeed.", JsonSchemaType.Integer);
        }

        if (status == "401")
        {
            response.Headers["WWW-Authenticate"] = Header("The scheme to authenticate with: Bearer, or Basic after a failed Basic attempt.");
        }

        if (isTokenEndpoint)
        {
            response.Headers["X-Ably-ErrorCode"] = Header("Ably error code for SDKs: 40000, 40100, 40300 or 42910.", JsonSchemaType.Integer);
            response.Headers["X-Ably-ErrorMessage"] = Header("The problem's detail, for SDKs that read only headers.");
        }

        foreach (var media in response.Content?.Values ?? [])
        {
            if (media is OpenApiMediaType concrete)
            {
                concrete.Example = new JsonObject
                {
                    ["type"] = "https://tools.ietf.org/html/rfc9110#section-15.5." + (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture) - 399),
                    ["title"] = ReasonTitle(status),
                    ["status"] = int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
                    ["detail"] = StatusDescriptions[status],
                    ["traceId"] = "00-0cbeca4557384ba3d648c23aaed3ddec-da9f1a3cd5f029cf-00",
                };
            }
        }
    }

    private static string ReasonTitle(string status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture));

    private static OpenApiHeader Header(string description, JsonSchemaType type = JsonSchemaType.String) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };

    private static List<OpenApiSecurityRequirement> Requirements(OpenApiDocument document, bool allowBasic)
    {
        var schemes = allowBasic
            ? new[] { OpenApiEndpoints.BearerScheme, OpenApiEndpoints.CookieScheme, OpenApiEndpoints.BasicScheme }
            : [OpenApiEndpoints.BearerScheme, OpenApiEndpoints.CookieScheme];

        // Alternatives: any one of the schemes is enough.
        return [.. schemes.Select(scheme => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] })];
    }

    private static IEnumerable<OpenApiParameter> TokenQueryParameters()
    {
        yield return Query("clientId", "Asks for this clientId; must be the account's own unless a role allows any (then also '*').", JsonSchemaType.String, "alice");
        yield return Query("capability", "Asks for a narrower capability, as a JSON string; the token gets its intersection with policy.", JsonSchemaType.String, """{"chat:lobby":["subscribe"]}""");
        yield return Query("ttl", "Asks for a lifetime in milliseconds (at least 1000); longer than Ably:MaxTtl is clamped.", JsonSchemaType.Integer, 600000);
    }

    private static OpenApiParameter Query(string name, string description, JsonSchemaType type, JsonNode example) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Required = false,
        Description = description,
        Schema = new OpenApiSchema { Type = type, Format = type == JsonSchemaType.Integer ? "int64" : null },
        Example = example,
    };
}
