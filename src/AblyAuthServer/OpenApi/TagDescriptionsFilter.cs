using Microsoft.OpenApi;

namespace AblyAuthServer.OpenApi;

/// <summary>Describes each tag, for readers of the rendered document.</summary>
internal sealed class TagDescriptionsFilter : Swashbuckle.AspNetCore.SwaggerGen.IDocumentFilter
{
    public void Apply(OpenApiDocument document, Swashbuckle.AspNetCore.SwaggerGen.DocumentFilterContext context) =>
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Ably tokens", Description = "Ably JWTs and TokenRequests for the authenticated caller: the authUrl targets." },
            new() { Name = "Sessions", Description = "Log in and out; a session authenticates the token endpoints." },
            new() { Name = "Token verification", Description = "Discovery and public keys with which an app's own APIs verify embedded tokens (/ably/embedded-token)." },
        };
}
