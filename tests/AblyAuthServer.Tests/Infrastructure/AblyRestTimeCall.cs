namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>A <c>GET /time</c> call and the time (ms since the epoch, on the stand-in's clock) it was given.</summary>
public sealed record AblyRestTimeCall(long Time, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ReceivedAt);
