using System.Globalization;
using AblyAuthServer.Ably;
using AblyAuthServer.Hosting.Telemetry;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;

namespace AblyAuthServer.Tokens;

/// <summary>
/// Obtains Ably Tokens for grants (<c>Ably:AblyTokens</c>). Every attempt of the <c>ably-request-token</c> pipeline
/// signs a new TokenRequest (a new nonce, dated on Ably's clock) and exchanges it with Ably, because Ably spends a nonce
/// when it checks one: resending the same request after a lost answer would be refused. Each failed attempt is counted;
/// a request that gets no token is logged once at Warning and becomes the gateway problem the endpoint answers with.
/// </summary>
internal sealed partial class AblyTokenExchange(
    AblyRestClient ably,
    TokenRequestSigner signer,
    ResiliencePipelineProvider<string> pipelines,
    AuthMetrics metrics,
    IOptions<AblyOptions> options,
    ILogger<AblyTokenExchange> logger)
{
    private const string Endpoint = "requestToken";

    private readonly ResiliencePipeline _pipeline = pipelines.GetPipeline(AblyRestSetup.RequestTokenPipeline);

    /// <summary>TokenDetails for <paramref name="grant"/> from Ably, asked with <paramref name="key"/>, or why there are none.</summary>
    public async Task<(TokenDetails? Details, AblyTokenFailure? Failure)> ObtainAsync(TokenGrant grant, AblyKey key, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            var details = await _pipeline.ExecuteAsync(
                async attempt =>
                {
                    attempts++;
                    return await AttemptAsync(grant, key, cancellationToken, attempt);
                },
                cancellationToken);
            return (details, null);
        }
        catch (AblyRestException e)
        {
            var error = e.Error;
            LogRefused(logger, grant.ClientId, key.Name, error.Code, error.StatusCode, error.Message, attempts);
            return (null, new AblyTokenFailure(StatusCodes.Status502BadGateway, error.Code, error.StatusCode switch
            {
                // The caller's own credentials were fine: a 401 or 403 here is about this server's key.
                StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden =>
                    $"Ably refused to issue the token: {error.Code} {error.Message}. The server's Ably key (or its capability) does not allow this token; the caller's own credentials were accepted.",
                >= 500 => $"Ably could not issue the token after {Attempts(attempts)}: {error.Code} (HTTP {error.StatusCode}) {error.Message}. Try again later.",
                _ => $"Ably refused to issue the token: {error.Code} (HTTP {error.StatusCode}) {error.Message}.",
            }));
        }
        catch (AblyAnswerException e)
        {
            LogUnusable(logger, grant.ClientId, key.Name, e.Problem);
            return (null, new AblyTokenFailure(StatusCodes.Status502BadGateway, null,
                $"Ably's answer could not be used ({e.Problem}), so no token was passed on. Try again later."));
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(logger, grant.ClientId, key.Name, e.HttpRequestError.ToString(), attempts);
            return (null, new AblyTokenFailure(StatusCodes.Status502BadGateway, null,
                $"Ably's REST host could not be reached ({e.HttpRequestError}) after {Attempts(attempts)}. Try again later."));
        }
        catch (TimeoutRejectedException)
        {
            var timeout = (long)options.Value.AblyTokenTimeout.TotalMilliseconds;
            LogTimedOut(logger, grant.ClientId, key.Name, timeout, attempts);
            return (null, new AblyTokenFailure(StatusCodes.Status504GatewayTimeout, null,
                $"Ably did not issue the token within {timeout} ms ({Attempts(attempts)}). Try again later."));
        }
        catch (BrokenCircuitException)
        {
            metrics.AblyRestError(Endpoint, "circuit-open");
            LogCircuitOpen(logger, grant.ClientId, key.Name);
            return (null, new AblyTokenFailure(StatusCodes.Status503ServiceUnavailable, null,
                "Ably could not be reached or failed repeatedly just now, so the server is not asking it for tokens for a few seconds. Try again after Retry-After.",
                AblyRestSetup.RequestTokenBreakDuration));
        }
    }

    private async ValueTask<TokenDetails> AttemptAsync(TokenGrant grant, AblyKey key, CancellationToken request, CancellationToken attempt)
    {
        // A new nonce and timestamp every time: Ably refuses a TokenRequest it has already checked.
        var tokenRequest = signer.Sign(grant, key);
        try
        {
            return await ably.RequestTokenAsync(key, tokenRequest, attempt);
        }
        catch (AblyRestException e)
        {
            metrics.AblyRestError(Endpoint, e.Error.Code.ToString(CultureInfo.InvariantCulture));
            throw;
        }
        catch (AblyAnswerException)
        {
            metrics.AblyRestError(Endpoint, "invalid-answer");
            throw;
        }
        catch (HttpRequestException)
        {
            metrics.AblyRestError(Endpoint, "unreachable");
            throw;
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested && !request.IsCancellationRequested)
        {
            metrics.AblyRestError(Endpoint, "timeout");
            throw;
        }
    }

    private static string Attempts(int attempts) => attempts == 1 ? "1 attempt" : $"{attempts} attempts";

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning,
        Message = "Ably refused an Ably Token for clientId {ClientId} (key {KeyName}): {AblyCode} ({StatusCode}) {AblyMessage}, after {Attempts} attempt(s)")]
    private static partial void LogRefused(ILogger logger, string clientId, string keyName, int ablyCode, int statusCode, string ablyMessage, int attempts);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning,
        Message = "Ably's REST host could not be reached for an Ably Token for clientId {ClientId} (key {KeyName}): {Reason}, after {Attempts} attempt(s)")]
    private static partial void LogUnreachable(ILogger logger, string clientId, string keyName, string reason, int attempts);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning,
        Message = "Ably did not issue an Ably Token for clientId {ClientId} (key {KeyName}) within Ably:AblyTokenTimeout ({TimeoutMs} ms), after {Attempts} attempt(s)")]
    private static partial void LogTimedOut(ILogger logger, string clientId, string keyName, long timeoutMs, int attempts);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning,
        Message = "Ably's answer to requestToken for clientId {ClientId} (key {KeyName}) was not used: {Problem}")]
    private static partial void LogUnusable(ILogger logger, string clientId, string keyName, string problem);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning,
        Message = "No Ably Token for clientId {ClientId} (key {KeyName}): requestToken failed repeatedly, and the circuit is open for a few seconds")]
    private static partial void LogCircuitOpen(ILogger logger, string clientId, string keyName);
}
