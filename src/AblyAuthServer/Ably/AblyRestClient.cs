using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace AblyAuthServer.Ably;

/// <summary>
/// The calls this server makes to Ably's REST API: <c>revokeTokens</c> (Basic auth with the key that signs the tokens),
/// <c>requestToken</c> and <c>/time</c>. A typed HttpClient: its base address, timeouts and retries are set where it is
/// registered, as is the single-attempt client <c>requestToken</c> goes through. Every request names the protocol
/// version and this server as the agent, as Ably's SDKs do; errors come back as <see cref="AblyRestException"/>
/// carrying Ably's own code.
/// </summary>
public sealed class AblyRestClient(HttpClient http, IHttpClientFactory clients)
{
    /// <summary>
    /// The named client for requests that must never be sent twice: the same base address and handler as this one,
    /// without HTTP-level retries. Whoever retries such a request builds a new one.
    /// </summary>
    public const string SingleAttemptClientName = "AblyRestClient.SingleAttempt";

    /// <summary>
    /// The protocol version ably-js 2 sends. Revocation answers with the batch envelope from version 3 on; without the
    /// header Ably falls back to a legacy shape that reports a partial failure as a 400.
    /// </summary>
    public const string ProtocolVersion = "6";

    /// <summary>At most this many targets in one <c>revokeTokens</c> call (Ably's limit).</summary>
    public const int MaxTargets = 100;

    /// <summary><c>ably-auth-server/&lt;informational version&gt;</c>: Ably's logs show who called.</summary>
    public static readonly string Agent = "ably-auth-server/" + (
        typeof(AblyRestClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(AblyRestClient).Assembly.GetName().Version?.ToString() ?? "0");

    /// <summary>
    /// Revokes the tokens <paramref name="key"/> signed for <paramref name="targets"/> before <paramref name="issuedBefore"/>
    /// (ms since the epoch on Ably's clock): only the key that signed a token can revoke it. Ably refuses an
    /// <paramref name="issuedBefore"/> in the future or more than an hour back.
    /// </summary>
    public async Task<RevokeTokensResult> RevokeTokensAsync(AblyKey key, IReadOnlyList<string> targets, long issuedBefore, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(targets.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targets.Count, MaxTargets);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"keys/{Uri.EscapeDataString(key.Name)}/revokeTokens")
        {
            Content = new ByteArrayContent(RevokeBody(targets, issuedBefore)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", key.BasicCredentials());
        var body = await SendAsync(http, request, cancellationToken);
        return ParseRevokeResult(body, targets);
    }

    /// <summary>
    /// Exchanges <paramref name="request"/>, signed with <paramref name="key"/> (whichever key the caller signed with),
    /// for an Ably Token: <c>POST /keys/{keyName}/requestToken</c> with the TokenRequest as the body (its MAC is the
    /// credential, so no Authorization header). Sent once, through the single-attempt client: Ably spends a nonce when it
    /// checks it and refuses it again (40105), so a retry must sign a new TokenRequest. The answer is accepted only as
    /// TokenDetails that follow from the request (<see cref="TokenDetails.TryRead"/>); anything else throws
    /// <see cref="AblyAnswerException"/>.
    /// </summary>
    public async Task<TokenDetails> RequestTokenAsync(AblyKey key, TokenRequest request, CancellationToken cancellationToken)
    {
        if (request.KeyName != key.Name)
        {
            throw new ArgumentException("The TokenRequest names another key than the one given.", nameof(request));
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, $"keys/{Uri.EscapeDataString(key.Name)}/requestToken")
        {
            Content = new ByteArrayContent(TokenRequestBody(request)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        var body = await SendAsync(clients.CreateClient(SingleAttemptClientName), message, cancellationToken);
        return TokenDetails.TryRead(body, request, out var details, out var problem)
            ? details!
            : throw new AblyAnswerException("requestToken", problem);
    }

    /// <summary>Ably's clock: <c>GET /time</c> answers <c>[ms since the epoch]</c>.</summary>
    public async Task<DateTimeOffset> GetTimeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "time");
        var body = await SendAsync(http, request, cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && root[0].TryGetInt64(out var milliseconds))
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
            }
        }
        catch (JsonException)
        {
        }

        throw new AblyRestException(new AblyErrorInfo(50000, 500, "The /time answer is not [ms since the epoch]"));
    }

    private static async Task<string> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Add("X-Ably-Version", ProtocolVersion);
        request.Headers.Add("Ably-Agent", Agent);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new AblyRestException(AblyErrorInfo.FromResponse((int)response.StatusCode, body));
        }

        return body;
    }

    private static byte[] RevokeBody(IReadOnlyList<string> targets, long issuedBefore)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("targets");
            foreach (var target in targets)
            {
                json.WriteStringValue(target);
            }

            json.WriteEndArray();
            json.WriteNumber("issuedBefore", issuedBefore);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // ttl and timestamp as JSON numbers, capability as the JSON text that was signed: Ably checks the MAC over these values.
    private static byte[] TokenRequestBody(TokenRequest request)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("keyName", request.KeyName);
            json.WriteString("clientId", request.ClientId);
            json.WriteString("capability", request.Capability);
            json.WriteNumber("ttl", request.Ttl);
            json.WriteNumber("timestamp", request.Timestamp);
            json.WriteString("nonce", request.Nonce);
            json.WriteString("mac", request.Mac);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // The envelope {successCount, failureCount, results: [{target, issuedBefore, appliesAt} | {target, error}]}; a plain
    // array (an older protocol) is read the same way, entry by entry.
    private static RevokeTokensResult ParseRevokeResult(string body, IReadOnlyList<string> targets)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var results = root.ValueKind switch
            {
                JsonValueKind.Object when root.TryGetProperty("results", out var list) && list.ValueKind == JsonValueKind.Array => list,
                JsonValueKind.Array => root,
                _ => default,
            };
            if (results.ValueKind == JsonValueKind.Array)
            {
                var parsed = results.EnumerateArray().Select(ParseTarget).ToList();
                var failures = parsed.Count(r => r.Error is not null);
                return new RevokeTokensResult(parsed.Count - failures, failures, parsed);
            }
        }
        catch (JsonException)
        {
        }

        // Accepted (201) but unreadable: every target counts as revoked, as Ably said so by the status.
        return new RevokeTokensResult(targets.Count, 0, [.. targets.Select(t => new RevocationTargetResult(t, null, null))]);
    }

    private static RevocationTargetResult ParseTarget(JsonElement entry)
    {
        var target = entry.TryGetProperty("target", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : string.Empty;
        var appliesAt = entry.TryGetProperty("appliesAt", out var a) && a.TryGetInt64(out var at) ? at : (long?)null;
        var error = entry.TryGetProperty("error", out var e) ? AblyErrorInfo.FromElement(e, 400) : null;
        return new RevocationTargetResult(target, appliesAt, error);
    }
}
