using System.Globalization;
using System.Reflection;
using AblyAuthServer.Ably;
using AblyAuthServer.Hosting;
using AblyAuthServer.OpenApi;
using AblyAuthServer.Policies;
using Microsoft.AspNetCore.Http.Metadata;

namespace AblyAuthServer.Tokens;

/// <summary>
/// The token parameters an Ably SDK sends to an <c>authUrl</c>: in the query string (GET), or form-encoded or JSON in
/// the body (POST), where body fields win over the query. Untrusted: they only ever narrow what policy allows. Other
/// parameters (ably-js adds <c>rnd</c> and any authParams) are ignored.
/// </summary>
/// <param name="ClientId">Asks for this clientId; must be the account's own unless a role allows any (then also '*').</param>
/// <param name="Capability">Asks for a narrower capability, as a JSON string (in a JSON body also as an object).</param>
/// <param name="Ttl">Asks for a lifetime in milliseconds (at least 1000); longer than Ably:MaxTtl is clamped.</param>
[OpenSchema]
public sealed record TokenParams(string? ClientId, string? Capability, long? Ttl) : IEndpointParameterMetadataProvider
{
    /// <summary>What policy narrows with.</summary>
    public TokenParameters ToParameters() => new(ClientId, Capability, Ttl?.ToString(CultureInfo.InvariantCulture));

    public static async ValueTask<TokenParams> BindAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? clientId = query["clientId"], capability = query["capability"], ttl = query["ttl"];
        if (HttpMethods.IsPost(context.Request.Method)
            && await SmallBody.ReadFieldsAsync(context.Request, context.RequestAborted) is { } body)
        {
            clientId = body.GetValueOrDefault("clientId") ?? clientId;
            capability = body.GetValueOrDefault("capability") ?? capability;
            ttl = body.GetValueOrDefault("ttl") ?? ttl;
        }

        return new TokenParams(clientId, capability, ParseTtl(ttl));
    }

    /// <summary>The query parameters (GET) or body (POST) these are read from, and the body's size limit.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        if (builder.Metadata.OfType<IHttpMethodMetadata>().Any(m => m.HttpMethods.Contains(HttpMethods.Post)))
        {
            builder.Metadata.Add(SmallBody.SizeLimit);
            builder.Metadata.Add(new AcceptsMetadata(["application/x-www-form-urlencoded", "application/json"], typeof(TokenParams), isOptional: true));
            builder.Metadata.Add(new OpenApiExampleMetadata(null, "application/json",
                new System.Text.Json.Nodes.JsonObject { ["capability"] = """{"chat:lobby":["subscribe"]}""", ["ttl"] = 600000 }));
            return;
        }

        builder.Metadata.Add(new OpenApiQueryParameterMetadata("clientId",
            "Asks for this clientId; must be the account's own unless a role allows any (then also '*').", "alice"));
        builder.Metadata.Add(new OpenApiQueryParameterMetadata("capability",
            "Asks for a narrower capability, as a JSON string; the token gets its intersection with policy.", """{"chat:lobby":["subscribe"]}"""));
        builder.Metadata.Add(new OpenApiQueryParameterMetadata("ttl",
            "Asks for a lifetime in milliseconds (at least 1000); longer than Ably:MaxTtl is clamped.", 600000, IsInteger: true));
    }

    // Absent or empty: none asked. Digits beyond a long are still a number: the maximum clamps them like any other.
    private static long? ParseTtl(string? ttl)
    {
        if (string.IsNullOrWhiteSpace(ttl))
        {
            return null;
        }

        if (long.TryParse(ttl, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return milliseconds;
        }

        return ttl.All(char.IsAsciiDigit)
            ? long.MaxValue
            : throw new InvalidRequestException(StatusCodes.Status400BadRequest, "ttl must be a whole number of milliseconds.");
    }
}
