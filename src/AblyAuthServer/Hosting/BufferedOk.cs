using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

/// <summary>
/// <see cref="Microsoft.AspNetCore.Http.HttpResults.Ok{TValue}"/> with its JSON serialized before the response starts,
/// so that it goes out with a <c>Content-Length</c>. The framework's result streams the body through the asynchronous
/// serializer into a chunked response; a small answer an SDK asks for again and again is cheaper serialized at once and
/// written whole, without chunk framing. Serialized with the app's JSON options, described to OpenAPI as
/// <c>Ok&lt;TValue&gt;</c> is.
/// </summary>
public sealed class BufferedOk<TValue> : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<TValue>, IContentTypeHttpResult
{
    internal BufferedOk(TValue value) => Value = value;

    public TValue Value { get; }

    object? IValueHttpResult.Value => Value;

    public int StatusCode => StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string ContentType => "application/json; charset=utf-8";

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var body = JsonSerializer.SerializeToUtf8Bytes(Value, options.GetTypeInfo(typeof(TValue)));
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        response.ContentLength = body.Length;
        // Like Ok<T>, a client that has gone away is not an error: Kestrel discards what is written after an abort.
        return response.Body.WriteAsync(body).AsTask();
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TValue), ["application/json"]));
}

/// <summary>Creates <see cref="BufferedOk{TValue}"/> results, as <see cref="TypedResults.Ok{TValue}"/> creates its own.</summary>
public static class BufferedOk
{
    public static BufferedOk<TValue> Of<TValue>(TValue value) => new(value);
}
