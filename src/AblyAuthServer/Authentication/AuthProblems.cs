using AblyAuthServer.Accounts;
using AblyAuthServer.Hosting;



namespace AblyAuthServer.Authentication;

/// <summary>
/// Writes authentication and authorization failures as problem details, with the <c>X-Ably-ErrorCode</c> and
/// <c>X-Ably-ErrorMessage</c> headers that let ably-js in a browser show why it was refused.
/// </summary>
public static class AuthProblems
{
    public const string InvalidCredentials = "The user name or password is not valid.";
    public const string SessionRequired =
        "A valid session is required: log in at /auth/login, then send the session cookie or 'Authorization: Bearer <sessionToken>'.";
    public const string AccountDisabled = "This account is disabled.";
    public const string LockedOut =
        "Too many failed attempts: this account is temporarily locked. Try again after the time in Retry-After.";
    public const string PasswordChecksBusy =
        "The server is busy checking other passwords. Try again after the time in Retry-After.";
    public const string LogoutListUnavailable =
        "Sessions cannot be checked right now: this server cannot reach the shared logout list. Try again after the time in Retry-After, or use another credential.";
    public const string LogoutNotRecorded =
        "The session has ended on this server, but the logout could not be stored in the account store, so it would not survive a restart. Try again after the time in Retry-After.";
    public const string LogoutNotShared =
        "The session has ended on this server, but the logout could not yet be shared with the other servers. It will be shared when the store is back; try again after the time in Retry-After.";

    /// <summary>The 429 detail for a credential check that was refused before or instead of checking.</summary>
    public static string TooManyDetail(CredentialOutcome outcome) =>
        outcome == CredentialOutcome.Busy ? PasswordChecksBusy : LockedOut;


    /// <summary>Ably's error code for an HTTP status, as SDKs report it.</summary>
    public static int AblyErrorCode(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => 40100,
        StatusCodes.Status403Forbidden => 40300,
        StatusCodes.Status429TooManyRequests => 42910,
        StatusCodes.Status503ServiceUnavailable => 50300,
        >= 400 and < 500 => 40000,
        _ => 50000,
    };

    /// <summary>The longest <c>X-Ably-ErrorMessage</c> sent; the whole detail is in the problem body.</summary>
    public const int MaxHeaderMessageLength = 200;

    public static void AddAblyErrorHeaders(HttpResponse response, int status, string detail)
    {
        response.Headers["X-Ably-ErrorCode"] = AblyErrorCode(status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["X-Ably-ErrorMessage"] = HeaderSummary(detail);
    }

    /// <summary>
    /// The detail as a header value: printable ASCII only (Kestrel refuses anything else in a response header, and a
    /// detail may quote the caller's own input), and short, since headers are not where the full story belongs.
    /// </summary>
    public static string HeaderSummary(string detail)
    {
        var length = Math.Min(detail.Length, MaxHeaderMessageLength);
        var truncated = detail.Length > MaxHeaderMessageLength;
        return string.Create(truncated ? length + 3 : length, (detail, truncated), static (span, state) =>
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

    public static Task WriteAsync(HttpContext context, int status, string detail)
    {
        AddAblyErrorHeaders(context.Response, status, detail);
        return ProblemResponses.WriteProblemAsync(context, status, detail);
    }
}
