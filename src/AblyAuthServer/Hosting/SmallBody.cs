using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;

namespace AblyAuthServer.Hosting;

/// <summary>
/// The flat name → value fields of a small body, JSON object or form-encoded alike, as browsers and the Ably SDKs send
/// them, for input types that bind themselves. Refusals are <see cref="InvalidRequestException"/>s: over
/// <see cref="MaxBytes"/> 413, another media type 415, a body that is not a flat object of valid text 400.
/// </summary>
public static class SmallBody
{
    public const int MaxBytes = 16 * 1024;

    /// <summary>Endpoint metadata for the framework's own body limit; checked here too, for hosts that do not apply it.</summary>
    public static IRequestSizeLimitMetadata SizeLimit { get; } = new Limit();

    /// <summary>The body's fields (names case-insensitive), or null when there is no body at all.</summary>
    public static async Task<Dictionary<string, string?>?> ReadFieldsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var isJson = request.HasJsonContentType();
        var isForm = request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true;
        if (!isJson && !isForm)
        {
            return request.ContentLength is null or 0 && string.IsNullOrEmpty(request.ContentType)
                ? null
                : throw new InvalidRequestException(StatusCodes.Status415UnsupportedMediaType,
                    "Send the body as application/json or application/x-www-form-urlencoded.");
        }

        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge();
        }

        var body = await ReadLimitedAsync(request.Body, cancellationToken);
        return isJson ? ReadJson(body) : ReadForm(body);
    }

    private static InvalidRequestException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {MaxBytes} bytes.");

    private static async Task<byte[]> ReadLimitedAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBytes)
                {
                    throw TooLarge();
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body itself: malformed chunking, a body cut short, one sent too slowly.
            throw new InvalidRequestException(e.StatusCode, "The request body could not be read: it is malformed, cut short or too slow.");
        }

        return buffer.ToArray();
    }

    private static Dictionary<string, string?> ReadForm(byte[] body)
    {
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)))
        {
            fields[name] = values.Count > 0 ? values[0] : null;
        }

        return fields;
    }

    private static Dictionary<string, string?> ReadJson(byte[] body)
    {
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (body.Length == 0)
        {
            return fields;
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidRequestException(StatusCodes.Status400BadRequest, "The JSON body must be an object.");
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

            return fields;
        }
        catch (JsonException)
        {
            throw new InvalidRequestException(StatusCodes.Status400BadRequest, "The request body is not valid JSON.");
        }
        catch (InvalidOperationException)
        {
            // The reader accepts an escaped lone surrogate ("\ud800") or invalid UTF-8 and throws only when the string is read.
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                "The request body has a string that is not valid Unicode (invalid UTF-8, or an unpaired UTF-16 surrogate escape).");
        }
    }

    private sealed class Limit : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => MaxBytes;
    }
}
