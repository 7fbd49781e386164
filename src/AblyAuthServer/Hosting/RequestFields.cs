using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;

namespace AblyAuthServer.Hosting;

/// <summary>
/// Reads the flat name → value fields of a small request body, JSON object or form-encoded alike, as browsers and
/// the Ably SDKs send them. Bodies over <see cref="MaxBytes"/> get 413, other media types 415, broken JSON 400.
/// </summary>
internal static class RequestFields
{
    public const int MaxBytes = 16 * 1024;

    public static async Task<(Dictionary<string, string?>? Fields, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }

        var isJson = request.HasJsonContentType();
        var isForm = request.HasFormContentType && request.ContentType!.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        if (!isJson && !isForm)
        {
            return request.ContentLength is null or 0 && string.IsNullOrEmpty(request.ContentType)
                ? (fields, null)
                : (null, Problem(StatusCodes.Status415UnsupportedMediaType,
                    "Send the body as application/json or application/x-www-form-urlencoded."));
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }

        byte[] body;
        try
        {
            body = await ReadLimitedAsync(request.Body, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body itself: malformed chunking, a body cut short, one sent too slowly.
            return (null, Problem(e.StatusCode, "The request body could not be read: it is malformed, cut short or too slow."));
        }

        if (body.Length > MaxBytes)
        {
            return (null, TooLarge());
        }

        return isJson ? ReadJson(body, fields) : ReadForm(body, fields);
    }

    public static ProblemHttpResult Problem(int status, string detail) =>
        TypedResults.Problem(statusCode: status, detail: detail);

    private static ProblemHttpResult TooLarge() =>
        Problem(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {MaxBytes} bytes.");

    private static async Task<byte[]> ReadLimitedAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                break;
            }
        }

        return buffer.ToArray();
    }

    private static (Dictionary<string, string?>?, ProblemHttpResult?) ReadForm(byte[] body, Dictionary<string, string?> fields)
    {
        foreach (var (name, values) in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)))
        {
            fields[name] = values.Count > 0 ? values[0] : null;
        }

        return (fields, null);
    }

    private static (Dictionary<string, string?>?, ProblemHttpResult?) ReadJson(byte[] body, Dictionary<string, string?> fields)
    {
        if (body.Length == 0)
        {
            return (fields, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, Problem(StatusCodes.Status400BadRequest, "The JSON body must be an object."));
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                fields[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Null => null,
                    // Numbers (ttl) and objects (a capability sent as an object) keep their JSON text.
                    _ => property.Value.GetRawText(),
                };
            }

            return (fields, null);
        }
        catch (JsonException)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "The request body is not valid JSON."));
        }
        catch (InvalidOperationException)
        {
            // The reader accepts an escaped lone surrogate ("\ud800") or invalid UTF-8 and throws only when the string is read.
            return (null, Problem(StatusCodes.Status400BadRequest,
                "The request body has a string that is not valid Unicode (invalid UTF-8, or an unpaired UTF-16 surrogate escape)."));
        }
    }
}
