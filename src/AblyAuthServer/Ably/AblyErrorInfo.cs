using System.Text.Json;

namespace AblyAuthServer.Ably;

/// <summary>An error as Ably's REST API reports it: <c>{"error":{"code","statusCode","message","href"}}</c>.</summary>
/// <param name="Code">Ably's five-digit code (40163: revocable tokens not enabled; 50000: internal error; ...).</param>
/// <param name="StatusCode">The HTTP status Ably gave.</param>
/// <param name="Message">Ably's message.</param>
public sealed record AblyErrorInfo(int Code, int StatusCode, string Message)
{
    /// <summary>The longest message kept: it goes into logs and the outbox table.</summary>
    public const int MaxMessageLength = 500;

    /// <summary>
    /// True when retrying the same request cannot succeed: a 4xx other than 408 (timeout) and 429 (rate limit), such as
    /// 40121/40163/40164 (revocable tokens not enabled), 40133 (wrong key), 40162 (not Basic auth) or 40101 (bad key).
    /// </summary>
    public bool IsPermanent => StatusCode is >= 400 and < 500 and not 408 and not 429;

    /// <summary>Reads Ably's error body; when it is not one, an error with the HTTP status and code <c>status * 100</c>.</summary>
    public static AblyErrorInfo FromResponse(int httpStatus, string? body)
    {
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("error", out var error)
                    && FromElement(error, httpStatus) is { } parsed)
                {
                    return parsed;
                }
            }
            catch (JsonException)
            {
            }
        }

        return new AblyErrorInfo(httpStatus * 100, httpStatus, $"HTTP {httpStatus} without an Ably error body");
    }

    /// <summary>An <c>error</c> object (a whole response's, or one batch result's); null when it is not one.</summary>
    public static AblyErrorInfo? FromElement(JsonElement error, int fallbackStatus)
    {
        if (error.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var status = error.TryGetProperty("statusCode", out var s) && s.TryGetInt32(out var statusCode) ? statusCode : fallbackStatus;
        var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var ablyCode) ? ablyCode : status * 100;
        var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : string.Empty;
        return new AblyErrorInfo(code, status, message.Length > MaxMessageLength ? message[..MaxMessageLength] : message);
    }

    public override string ToString() => $"{Code} ({StatusCode}): {Message}";
}
