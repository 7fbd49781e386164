using System.Globalization;
using AblyAuthServer.Hosting;
using AblyAuthServer.OpenApi;
using Microsoft.AspNetCore.Mvc;

namespace AblyAuthServer.Tokens;

/// <summary>
/// The error contract of the endpoints Ably SDKs call: every problem they answer with (validation, authentication, rate
/// limits, timeouts, body limits) also carries <c>X-Ably-ErrorCode</c> and <c>X-Ably-ErrorMessage</c>, which ably-js
/// in a browser reads to say why it was refused. Declared on the endpoints as metadata.
/// </summary>
public sealed class AblyErrorContract : IProblemResponseMetadata, IOpenApiErrorHeadersMetadata
{
    public const string ErrorCodeHeader = "X-Ably-ErrorCode";
    public const string ErrorMessageHeader = "X-Ably-ErrorMessage";

    /// <summary>The longest <c>X-Ably-ErrorMessage</c> sent; the whole detail is in the problem body.</summary>
    public const int MaxHeaderMessageLength = 200;

    private AblyErrorContract()
    {
    }

    public static AblyErrorContract Instance { get; } = new();

    public IReadOnlyList<OpenApiHeaderMetadata> ErrorHeaders { get; } =
    [
        new(ErrorCodeHeader,
            "Ably error code for SDKs: 40100, 40300, 42910 and 50300 for those statuses, 40000 for any other 4xx, 50000 for any other 5xx; " +
            "where Ably itself refused a call made for the request (a 502), Ably's own code.",
            IsInteger: true),
        new(ErrorMessageHeader, "A printable-ASCII summary of the problem's detail, for SDKs that read only headers."),
    ];

    /// <summary>Ably's error code for an HTTP status, as SDKs report it.</summary>
    public static int ErrorCode(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => 40100,
        StatusCodes.Status403Forbidden => 40300,
        StatusCodes.Status429TooManyRequests => 42910,
        StatusCodes.Status503ServiceUnavailable => 50300,
        >= 400 and < 500 => 40000,
        _ => 50000,
    };

    /// <summary>
    /// The detail as a header value: printable ASCII only (Kestrel refuses anything else in a response header, and a
    /// detail may quote the caller's own input), and short, since headers are not where the full story belongs.
    /// </summary>
    public static string HeaderSummary(string detail)
    {
        var truncated = detail.Length > MaxHeaderMessageLength;
        var length = truncated ? MaxHeaderMessageLength + 3 : detail.Length;
        return string.Create(length, (detail, truncated), static (span, state) =>
        {
            var (text, cut) = state;
            var count = cut ? span.Length - 3 : span.Length;
            for (var i = 0; i < count; i++)
            {
                var c = text[i];
                span[i] = c is >= ' ' and <= '~' ? c : '?';
            }

            if (cut)
            {
                span[^3..].Fill('.');
            }
        });
    }

    /// <summary>Adds the headers, keeping an error code the endpoint already set (Ably's own, relayed).</summary>
    public void OnWriting(HttpContext context, ProblemDetails problem)
    {
        var headers = context.Response.Headers;
        if (!headers.ContainsKey(ErrorCodeHeader))
        {
            headers[ErrorCodeHeader] = ErrorCode(problem.Status ?? context.Response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }

        headers[ErrorMessageHeader] = HeaderSummary(problem.Detail ?? problem.Title ?? string.Empty);
    }
}
