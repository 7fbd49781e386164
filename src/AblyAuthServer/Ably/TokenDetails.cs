using System.Text.Json;

namespace AblyAuthServer.Ably;

/// <summary>
/// An Ably Token as Ably issues it from a TokenRequest, in Ably's wire shape: <c>issued</c> and <c>expires</c> are
/// milliseconds since the epoch on Ably's clock, <c>capability</c> is JSON text. An ably-js <c>authUrl</c> takes a JSON
/// answer with <c>issued</c> as TokenDetails and uses the token as it is.
/// </summary>
/// <param name="Token">The Ably Token: a bearer credential for Ably until it expires.</param>
/// <param name="KeyName">The key the token was issued from, appId.keyId.</param>
/// <param name="Issued">When Ably issued it, in milliseconds since the epoch.</param>
/// <param name="Expires">When it expires, in milliseconds since the epoch.</param>
/// <param name="Capability">The token's capability as JSON text, as Ably returned it: the granted capability, or less of it when the key allows less.</param>
/// <param name="ClientId">The trusted clientId the token carries, or <c>*</c> for the wildcard.</param>
public sealed record TokenDetails(string Token, string KeyName, long Issued, long Expires, string Capability, string ClientId)
{
    /// <summary>
    /// Reads Ably's answer to <paramref name="request"/>, accepting only TokenDetails that follow from it: a non-empty
    /// token, the request's key name and clientId, a lifetime no longer than its ttl, and a capability within its own.
    /// Anything else is not passed on. The error names the field, never its value (which could be the token).
    /// </summary>
    public static bool TryRead(string json, TokenRequest request, out TokenDetails? details, out string error)
    {
        details = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            return TryReadObject(document.RootElement, request, out details, out error);
        }
        catch (JsonException)
        {
            error = "the answer is not JSON";
            return false;
        }
    }

    private static bool TryReadObject(JsonElement root, TokenRequest request, out TokenDetails? details, out string error)
    {
        details = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "the answer is not a JSON object";
            return false;
        }

        if (String(root, "token") is not { Length: > 0 } token)
        {
            error = "token is missing or not a non-empty string";
            return false;
        }

        if (String(root, "keyName") != request.KeyName)
        {
            error = "keyName is missing or names another key than the TokenRequest";
            return false;
        }

        if (String(root, "clientId") != request.ClientId)
        {
            error = "clientId is missing or differs from the TokenRequest's";
            return false;
        }

        if (Integer(root, "issued") is not ({ } issued and > 0) || Integer(root, "expires") is not { } expires || expires <= issued)
        {
            error = "issued and expires are not milliseconds since the epoch with expires after issued";
            return false;
        }

        // The TTL was decided by policy (MaxTtl, the credential's end); a longer-lived token would overrule it.
        if (expires - issued > request.Ttl)
        {
            error = "the token lives longer than the TokenRequest's ttl";
            return false;
        }

        if (String(root, "capability") is not { } capabilityText
            || !Ably.Capability.TryParse(capabilityText, out var capability, out _)
            || !Ably.Capability.TryParse(request.Capability, out var requested, out _)
            || requested!.Intersect(capability!).ToJson() != capability!.ToJson())
        {
            error = "capability is missing, not a capability, or not within the TokenRequest's";
            return false;
        }

        details = new TokenDetails(token, request.KeyName, issued, expires, capabilityText, request.ClientId);
        error = string.Empty;
        return true;
    }

    /// <summary>Everything but the token, which is a credential: records print into logs (Polly logs results).</summary>
    public override string ToString() =>
        $"TokenDetails {{ KeyName = {KeyName}, Issued = {Issued}, Expires = {Expires}, Capability = {Capability}, ClientId = {ClientId} }}";

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Integer(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;
}
