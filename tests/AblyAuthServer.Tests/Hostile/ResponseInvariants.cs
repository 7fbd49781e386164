using System.Text.Json;
using System.Text.RegularExpressions;

namespace AblyAuthServer.Tests.Hostile;

/// <summary>A broken invariant: which one, and a short fact that groups equal failures.</summary>
public sealed record Violation(string Invariant, string Fact);

/// <summary>What every response of the server must satisfy, whatever the request was.</summary>
public static partial class ResponseInvariants
{
    public const int MaxErrorMessageLength = 400;

    // Session tokens share their first ~30 characters (data protection's magic header and key id), so a short
    // fragment of a damaged token is in every new session token too; only longer ones prove an echo.
    private const int MinEchoLength = 40;
    private const int MinPasswordLength = 8;

    public static IReadOnlyList<Violation> Check(RenderedRequest request, RawResponse? response, IReadOnlyList<string> standingSecrets)
    {
        if (response is null)
        {
            return [new Violation("every request gets a response", "connection closed without a response")];
        }

        var violations = new List<Violation>();

        // 1. Never a 5xx: no Redis is configured, so not even the documented shared-store 503 can happen.
        if (response.Status is >= 500 or < 100)
        {
            violations.Add(new Violation("1. no 5xx", response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // 2. Every refusal the app writes is a complete problem; Kestrel's own protocol refusals have no body at all.
        if (response.Status is >= 400 and < 500 && !response.IsKestrelRejection)
        {
            if (ProblemDefect(response, request.IsHead) is { } defect)
            {
                violations.Add(new Violation("2. refusals are problems", $"{response.Status} {defect}"));
            }
        }

        // 3. No secret or token is echoed.
        var everything = response.Everything;
        foreach (var secret in standingSecrets.Concat(request.Secrets).Where(IsWorthSearching(standingSecrets)).Distinct())
        {
            if (everything.Contains(secret, StringComparison.Ordinal))
            {
                violations.Add(new Violation("3. nothing sent is echoed", $"{response.Status} echoes a secret or token that was sent"));
                break;
            }
        }

        if (response.Status >= 400 && Jwt().Matches(everything).Any(m => HostileServer.IsSignedWithTheKey(m.Value)))
        {
            violations.Add(new Violation("3. nothing sent is echoed", $"{response.Status} refusal carries a JWT signed with the key"));
        }

        // 4. The X-Ably-ErrorMessage header ably-js shows in browsers is short printable ASCII.
        foreach (var message in response.HeaderValues("X-Ably-ErrorMessage"))
        {
            if (message.Any(c => c is < ' ' or > '~'))
            {
                violations.Add(new Violation("4. X-Ably-ErrorMessage is short printable ASCII", "a byte outside printable ASCII"));
            }

            if (message.Length > MaxErrorMessageLength)
            {
                violations.Add(new Violation("4. X-Ably-ErrorMessage is short printable ASCII", $"longer than {MaxErrorMessageLength} characters"));
            }
        }

        return violations;
    }

    /// <summary>What is wrong with a refusal's problem body, or null.</summary>
    public static string? ProblemDefect(RawResponse response, bool isHead)
    {
        if (!string.Equals(response.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            return $"has Content-Type '{response.Header("Content-Type") ?? "(none)"}', not application/problem+json";
        }

        if (isHead)
        {
            return null; // a HEAD response never has a body; its headers are all there is to check
        }

        try
        {
            using var document = JsonDocument.Parse(response.Body);
            var problem = document.RootElement;
            if (problem.ValueKind != JsonValueKind.Object)
            {
                return "problem body is not a JSON object";
            }

            if (!problem.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Number || status.GetInt32() != response.Status)
            {
                return "problem 'status' is missing or differs from the HTTP status";
            }

            foreach (var member in new[] { "title", "detail" })
            {
                if (!problem.TryGetProperty(member, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
                {
                    return $"problem '{member}' is missing or empty";
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return "problem body is not JSON";
        }
    }

    private static Func<string, bool> IsWorthSearching(IReadOnlyList<string> standing) => secret =>
        standing.Contains(secret) ? secret.Length > 0 : secret.Length >= (secret.StartsWith("pw-", StringComparison.Ordinal) ? MinPasswordLength : MinEchoLength);

    [GeneratedRegex("[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{20,}")]
    private static partial Regex Jwt();
}
