using System.Diagnostics;
using AblyAuthServer.Ably;
using AblyAuthServer.Hosting.Telemetry;
using Microsoft.Extensions.Options;
using Polly;

namespace AblyAuthServer.Tokens;

/// <summary>
/// With <c>Ably:ClockCheck</c>: reads Ably's clock (<c>GET /time</c>) at start and about every
/// <c>Ably:ClockCheckInterval</c>, and sets <see cref="AblyClock"/>'s offset, which tokens are minted on. Issuance never
/// waits for it; while Ably cannot be reached the last offset stays (zero before the first answer). A skew over
/// <c>Ably:MaxClockSkew</c> is logged, shown by the skew metric and turns <c>/readyz</c> Degraded.
/// </summary>
internal sealed partial class AblyClockCheck(
    AblyRestClient ably, AblyClock clock, AuthMetrics metrics, IOptions<AblyOptions> options, ILogger<AblyClockCheck> logger) : BackgroundService
{
    // A reading that took longer says little about the offset (it is off by up to half the round trip).
    private static readonly TimeSpan MaxRoundTrip = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ClockCheck)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = options.Value.ClockCheckInterval;
            var measured = await MeasureAsync(stoppingToken);
            var next = measured
                ? interval * (0.9 + (Random.Shared.NextDouble() * 0.2))
                : interval < RetryAfterFailure ? interval : RetryAfterFailure;
            try
            {
                await Task.Delay(next, TimeProvider.System, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task<bool> MeasureAsync(CancellationToken cancellationToken)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var sentAt = clock.Local.GetUtcNow();
            var ablyTime = await ably.GetTimeAsync(cancellationToken);
            var receivedAt = clock.Local.GetUtcNow();
            var roundTrip = Stopwatch.GetElapsedTime(started);
            if (roundTrip > MaxRoundTrip)
            {
                LogSlowReading(logger, (long)roundTrip.TotalMilliseconds);
                return false;
            }

            var offset = AblyClock.OffsetFrom(sentAt, ablyTime, receivedAt);
            clock.SetOffset(offset);
            metrics.ClockSkew(offset);
            if (offset.Duration() > options.Value.MaxClockSkew)
            {
                LogSkewed(logger, (long)offset.TotalMilliseconds, (long)options.Value.MaxClockSkew.TotalMilliseconds);
            }
            else
            {
                LogMeasured(logger, (long)offset.TotalMilliseconds);
            }

            return true;
        }
        catch (AblyRestException e)
        {
            metrics.AblyRestError("time", e.Error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            LogUnreachable(logger, (long)clock.Offset.TotalMilliseconds, e.Error.ToString());
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or ExecutionRejectedException or TimeoutException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            metrics.AblyRestError("time", e is HttpRequestException ? "unreachable" : "timeout");
            LogUnreachable(logger, (long)clock.Offset.TotalMilliseconds, e.GetType().Name);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Debug, Message = "Ably's clock is {OffsetMs} ms from the local clock; tokens are minted on Ably's")]
    private static partial void LogMeasured(ILogger logger, long offsetMs);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning,
        Message = "The local clock is {OffsetMs} ms off Ably's, over Ably:MaxClockSkew ({MaxMs} ms): tokens are minted on Ably's clock, but fix the host's time sync; /readyz reports Degraded")]
    private static partial void LogSkewed(ILogger logger, long offsetMs, long maxMs);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning,
        Message = "Ably's clock could not be read ({Reason}); tokens stay on the last offset, {OffsetMs} ms")]
    private static partial void LogUnreachable(ILogger logger, long offsetMs, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Debug, Message = "Ably's clock reading took {RoundTripMs} ms; ignored")]
    private static partial void LogSlowReading(ILogger logger, long roundTripMs);
}
