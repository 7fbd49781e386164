namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// A request <see cref="AblyRestStandIn"/> answered with an error. <paramref name="Injected"/> is true when a test control
/// (<see cref="AblyRestStandIn.FailNext"/>, <see cref="AblyRestStandIn.FailUntilReset"/>) produced it rather than a check.
/// </summary>
public sealed record AblyRestRejection(
    AblyRestEndpoint? Endpoint,
    string Method,
    string Path,
    AblyRestError Error,
    bool Injected,
    DateTimeOffset At);
