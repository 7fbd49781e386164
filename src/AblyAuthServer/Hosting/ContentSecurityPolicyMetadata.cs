namespace AblyAuthServer.Hosting;

/// <summary>
/// Endpoint metadata: the Content-Security-Policy this endpoint's responses carry instead of the API's deny-all one;
/// null sends none (a page whose framework cannot live with one).
/// </summary>
/// <param name="Policy">The policy, or null for none.</param>
public sealed record ContentSecurityPolicyMetadata(string? Policy);
