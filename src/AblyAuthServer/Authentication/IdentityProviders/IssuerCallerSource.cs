using System.Buffers;
using System.Buffers.Text;
using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Authentication.IdentityProviders;

/// <summary>
/// Claims <c>Authorization: Bearer &lt;JWT&gt;</c> whose unverified <c>iss</c> names a configured provider, for that
/// provider's scheme. Nothing else the client sends takes part in the choice; the scheme then verifies everything,
/// the <c>iss</c> included. A session token is never a JWS (it has no dots), so it never reaches a provider's
/// scheme, and a JWS never reaches the session scheme's checks as anything but a malformed token.
/// </summary>
internal sealed class IssuerCallerSource : ICallerSource
{
    /// <summary>Longer bearer values are not read here (the header limit bounds them anyway).</summary>
    public const int MaxTokenLength = 16 * 1024;

    private readonly FrozenDictionary<string, string> _schemes;

    public IssuerCallerSource(IOptions<CallerAuthOptions> options) =>
        _schemes = options.Value.Issuers
            .Select((issuer, index) => (issuer.ExpectedIssuer, Scheme: IdentityProviderSetup.SchemeName(index)))
            .Where(entry => entry.ExpectedIssuer.Length > 0)
            .ToFrozenDictionary(entry => entry.ExpectedIssuer, entry => entry.Scheme, StringComparer.Ordinal);

    public string? SchemeFor(HttpRequest request)
    {
        if (_schemes.Count == 0)
        {
            return null;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = authorization.AsSpan(7).Trim();
        return token.Length <= MaxTokenLength && UnverifiedIssuer(token) is { } issuer && _schemes.TryGetValue(issuer, out var scheme)
            ? scheme
            : null;
    }

    /// <summary>The <c>iss</c> string of a compact JWS's payload, read without verifying anything, or null.</summary>
    internal static string? UnverifiedIssuer(ReadOnlySpan<char> token)
    {
        var first = token.IndexOf('.');
        var last = token.LastIndexOf('.');
        if (first <= 0 || last == first || token[(first + 1)..last].Contains('.'))
        {
            return null;
        }

        var encoded = token[(first + 1)..last];
        var buffer = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(encoded.Length));
        try
        {
            if (Base64Url.DecodeFromChars(encoded, buffer, out _, out var written) != OperationStatus.Done)
            {
                return null;
            }

            var reader = new Utf8JsonReader(buffer.AsSpan(0, written), new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isIssuer = reader.ValueTextEquals("iss"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isIssuer)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }

            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
