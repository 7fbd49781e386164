using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Authentication.IdentityProviders;

/// <summary>
/// Reads claims from a provider's verified token as the provider wrote them: a name is looked up as is first (Auth0's
/// <c>https://example.com/roles</c>), and only if absent as a dotted path into nested objects (Keycloak's
/// <c>realm_access.roles</c>). Values are strings, or arrays of strings.
/// </summary>
internal sealed class IssuerClaims : IDisposable
{
    private readonly JsonDocument _payload;

    private IssuerClaims(JsonDocument payload) => _payload = payload;

    public static IssuerClaims Of(JsonWebToken token) =>
        new(JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload), new JsonDocumentOptions { MaxDepth = 16 }));

    /// <summary>The claim's string value (a number is taken as its text), or null.</summary>
    public string? String(string name) => Find(name) is { } value
        ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        }
        : null;

    /// <summary>The claim's strings: one for a string, each string of an array; none otherwise.</summary>
    public IReadOnlyList<string> Strings(string name) => Find(name) is { } value
        ? value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array => [.. value.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.String).Select(item => item.GetString()!)],
            _ => [],
        }
        : [];

    public void Dispose() => _payload.Dispose();

    private JsonElement? Find(string name)
    {
        var root = _payload.RootElement;
        if (root.TryGetProperty(name, out var exact))
        {
            return exact;
        }

        var current = root;
        foreach (var segment in name.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return null;
            }
        }

        return current;
    }
}
