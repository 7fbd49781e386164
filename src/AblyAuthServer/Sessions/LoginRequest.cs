using System.Reflection;
using System.Text.Json.Nodes;
using AblyAuthServer.Hosting;
using AblyAuthServer.OpenApi;
using Microsoft.AspNetCore.Http.Metadata;

namespace AblyAuthServer.Sessions;

/// <summary>
/// Login credentials, as JSON or form fields in the body. Never read from the query string: a password there would
/// end up in proxy and access logs.
/// </summary>
/// <param name="Username">The account's user name.</param>
/// <param name="Password">The account's password.</param>
public sealed record LoginRequest(string Username, string Password) : IEndpointParameterMetadataProvider
{
    public const int MaxUserNameLength = 256;
    public const int MaxPasswordLength = 1024;

    /// <summary>The refusal for credentials over the length caps, which are refused before any hash is computed.</summary>
    public static readonly string TooLongDetail = $"'username' is limited to {MaxUserNameLength} characters and 'password' to {MaxPasswordLength}.";

    public static async ValueTask<LoginRequest> BindAsync(HttpContext context)
    {
        var fields = await SmallBody.ReadFieldsAsync(context.Request, context.RequestAborted);
        var userName = fields?.GetValueOrDefault("username");
        var password = fields?.GetValueOrDefault("password");
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password))
        {
            throw new InvalidRequestException(StatusCodes.Status400BadRequest, "Both 'username' and 'password' are required.");
        }

        return userName.Length > MaxUserNameLength || password.Length > MaxPasswordLength
            ? throw new InvalidRequestException(StatusCodes.Status400BadRequest, TooLongDetail)
            : new LoginRequest(userName, password);
    }

    /// <summary>The body it is read from, with its size limit and an example.</summary>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        builder.Metadata.Add(SmallBody.SizeLimit);
        builder.Metadata.Add(new AcceptsMetadata(["application/json", "application/x-www-form-urlencoded"], typeof(LoginRequest)));
        builder.Metadata.Add(new OpenApiExampleMetadata(null, "application/json",
            new JsonObject { ["username"] = "alice", ["password"] = "correct horse battery staple" }));
    }
}
