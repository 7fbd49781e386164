namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>The TokenDetails <see cref="AblyRestStandIn"/> issued for a TokenRequest; times are ms since the epoch.</summary>
public sealed record AblyRestTokenDetails(string Token, string KeyName, long Issued, long Expires, string Capability, string? ClientId);
