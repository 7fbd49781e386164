using System.Text.Json;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace AblyAuthServer.Tests.OpenApi;

/// <summary>
/// The served OpenAPI document is the committed <c>openapi/v1.json</c>. To accept an intended change:
/// <c>OPENAPI_SNAPSHOT_UPDATE=1 dotnet test --project tests/AblyAuthServer.Tests</c>.
/// </summary>
public sealed class OpenApiDocumentTests(OpenApiDocumentTests.Server server) : IClassFixture<OpenApiDocumentTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        public AblyAuthServerFactory Factory { get; } = new();

        public string Document { get; private set; } = string.Empty;

        public async ValueTask InitializeAsync()
        {
            using var client = Factory.CreateClient();
            Document = await client.GetStringAsync("/swagger/v1/swagger.json");
        }

        public ValueTask DisposeAsync() => Factory.DisposeAsync();
    }

    private static string SnapshotPath => Path.Combine(ServerProcess.RepositoryRoot, "openapi", "v1.json");

    [Fact]
    public async Task The_Served_Document_Equals_The_Committed_Snapshot()
    {
        if (Environment.GetEnvironmentVariable("OPENAPI_SNAPSHOT_UPDATE") == "1")
        {
            await File.WriteAllTextAsync(SnapshotPath, Normalize(server.Document) + "\n", TestContext.Current.CancellationToken);
        }

        var committed = await File.ReadAllTextAsync(SnapshotPath, TestContext.Current.CancellationToken);

        Assert.True(
            Normalize(committed) == Normalize(server.Document),
            "openapi/v1.json differs from the served document; if the change is intended, run: OPENAPI_SNAPSHOT_UPDATE=1 dotnet test --project tests/AblyAuthServer.Tests");
    }

    [Fact]
    public void The_Document_Parses_With_Microsoft_OpenApi_Without_Errors_Or_Warnings()
    {
        var result = OpenApiDocument.Parse(server.Document, OpenApiConstants.Json, new OpenApiReaderSettings());

        Assert.NotNull(result.Document);
        Assert.Empty(result.Diagnostic!.Errors);
        Assert.Empty(result.Diagnostic.Warnings);
        Assert.Equal(12, result.Document.Paths.Sum(p => p.Value.Operations!.Count));
    }

    [Fact]
    public void Every_Operation_Has_A_Stable_Id_A_Summary_A_Description_And_Problem_Responses_For_Errors()
    {
        using var document = JsonDocument.Parse(server.Document);
        var operationIds = new List<string>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                operationIds.Add(operation.Value.GetProperty("operationId").GetString()!);
                Assert.False(string.IsNullOrWhiteSpace(operation.Value.GetProperty("summary").GetString()));
                Assert.False(string.IsNullOrWhiteSpace(operation.Value.GetProperty("description").GetString()));
                Assert.True(operation.Value.TryGetProperty("security", out _), $"{operation.Name} {path.Name} declares no security");
                foreach (var response in operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] == '4'))
                {
                    Assert.True(response.Value.GetProperty("content").TryGetProperty("application/problem+json", out var problem), $"{path.Name} {response.Name}");
                    Assert.Equal("#/components/schemas/ProblemDetails", problem.GetProperty("schema").GetProperty("$ref").GetString());
                    Assert.True(problem.TryGetProperty("example", out _));
                }
            }
        }

        Assert.Equal(
            ["GetAblyEmbeddedToken", "GetAblyJwt", "GetAblyTokenDetails", "GetAblyTokenRequest", "GetJsonWebKeySet", "GetOpenIdConfiguration", "Login", "Logout",
                "PostAblyEmbeddedToken", "PostAblyJwt", "PostAblyTokenDetails", "PostAblyTokenRequest"],
            operationIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Token_Endpoints_Document_Their_Media_Types_Parameters_And_Any_Of_Four_Credentials()
    {
        using var document = JsonDocument.Parse(server.Document);
        var paths = document.RootElement.GetProperty("paths");
        var getJwt = paths.GetProperty("/ably/token").GetProperty("get");
        var postTokenRequest = paths.GetProperty("/ably/token-request").GetProperty("post");

        Assert.Equal("string", getJwt.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/jwt").GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal(["clientId", "capability", "ttl"], getJwt.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(["sessionBearer", "sessionCookie", "basic", "issuerBearer"], getJwt.GetProperty("security").EnumerateArray().Select(r => r.EnumerateObject().Single().Name));
        Assert.Equal(["application/x-www-form-urlencoded", "application/json"], postTokenRequest.GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name));
        Assert.Equal("#/components/schemas/TokenRequest", postTokenRequest.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        var tokenRequest = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("TokenRequest");
        Assert.Equal(["capability", "clientId", "keyName", "mac", "nonce", "timestamp", "ttl"], tokenRequest.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("integer", tokenRequest.GetProperty("properties").GetProperty("ttl").GetProperty("type").GetString());
        Assert.Equal([], paths.GetProperty("/auth/login").GetProperty("post").GetProperty("security").EnumerateArray());
        var issuerBearer = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("issuerBearer");
        Assert.Equal("bearer", issuerBearer.GetProperty("scheme").GetString());
        Assert.Equal("JWT", issuerBearer.GetProperty("bearerFormat").GetString());
    }

    [Fact]
    public void Embedded_Token_Endpoints_Are_Described_Though_The_Feature_Is_Off_By_Default()
    {
        using var document = JsonDocument.Parse(server.Document);
        var paths = document.RootElement.GetProperty("paths");
        var embedded = paths.GetProperty("/ably/embedded-token").GetProperty("get");
        var keySet = paths.GetProperty("/.well-known/jwks.json").GetProperty("get");
        var discovery = paths.GetProperty("/.well-known/openid-configuration").GetProperty("get");
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");

        Assert.Equal("string", embedded.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/jwt").GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal(["clientId", "capability", "ttl"], embedded.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(["sessionBearer", "sessionCookie", "basic", "issuerBearer"], embedded.GetProperty("security").EnumerateArray().Select(r => r.EnumerateObject().Single().Name));
        Assert.Equal(["200", "400", "401", "403", "404", "422", "429", "503"], embedded.GetProperty("responses").EnumerateObject().Select(r => r.Name));
        Assert.True(embedded.GetProperty("responses").GetProperty("404").GetProperty("headers").TryGetProperty("X-Ably-ErrorCode", out _));
        Assert.Equal(["application/x-www-form-urlencoded", "application/json"],
            paths.GetProperty("/ably/embedded-token").GetProperty("post").GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name));
        foreach (var (operation, schema) in new[] { (keySet, "PublicJsonWebKeySet"), (discovery, "OpenIdConfiguration") })
        {
            var ok = operation.GetProperty("responses").GetProperty("200");
            Assert.Equal("#/components/schemas/" + schema, ok.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
            Assert.True(ok.GetProperty("content").GetProperty("application/json").TryGetProperty("example", out _));
            Assert.StartsWith("'public, max-age=300'", ok.GetProperty("headers").GetProperty("Cache-Control").GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Equal([], operation.GetProperty("security").EnumerateArray());
            Assert.Equal(["Token verification"], operation.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        }

        Assert.Equal(["alg", "crv", "kid", "kty", "use", "x", "y"], schemas.GetProperty("PublicJsonWebKey").GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["authorization_endpoint", "id_token_signing_alg_values_supported", "issuer", "jwks_uri", "response_types_supported", "subject_types_supported"],
            schemas.GetProperty("OpenIdConfiguration").GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(
            "https://tools.ietf.org/html/rfc9110#section-15.6.4",
            keySet.GetProperty("responses").GetProperty("503").GetProperty("content").GetProperty("application/problem+json").GetProperty("example").GetProperty("type").GetString());
    }

    [Fact]
    public void The_Token_Details_Endpoints_Document_TokenDetails_And_Their_Gateway_Problems()
    {
        using var document = JsonDocument.Parse(server.Document);
        var path = document.RootElement.GetProperty("paths").GetProperty("/ably/token-details");

        foreach (var method in new[] { "get", "post" })
        {
            var responses = path.GetProperty(method).GetProperty("responses");
            var ok = responses.GetProperty("200").GetProperty("content").GetProperty("application/json");
            Assert.Equal("#/components/schemas/TokenDetails", ok.GetProperty("schema").GetProperty("$ref").GetString());
            Assert.Equal(["token", "keyName", "issued", "expires", "capability", "clientId"], ok.GetProperty("example").EnumerateObject().Select(p => p.Name));
            foreach (var status in new[] { "404", "422", "502", "503", "504" })
            {
                var problem = responses.GetProperty(status);
                Assert.Equal("#/components/schemas/ProblemDetails", problem.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
                Assert.True(problem.GetProperty("headers").TryGetProperty("X-Ably-ErrorCode", out _), $"{method} {status}");
            }

            Assert.Contains("40160", responses.GetProperty("502").GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.True(responses.GetProperty("503").GetProperty("headers").TryGetProperty("Retry-After", out _));
        }

        var schema = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("TokenDetails");
        Assert.Equal(["capability", "clientId", "expires", "issued", "keyName", "token"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("integer", schema.GetProperty("properties").GetProperty("issued").GetProperty("type").GetString());
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("capability").GetProperty("type").GetString());
    }

    private static string Normalize(string json) => json.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();
}
