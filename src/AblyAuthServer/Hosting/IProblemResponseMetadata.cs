using Microsoft.AspNetCore.Mvc;

namespace AblyAuthServer.Hosting;

/// <summary>
/// Endpoint metadata that adds to every problem its endpoint answers with, whoever writes it: the handler's result,
/// authentication, the rate limiter, the request timeout or the body limits. A feature declares it where it maps its
/// endpoints; the problem writer applies it.
/// </summary>
public interface IProblemResponseMetadata
{
    /// <summary>Called just before <paramref name="problem"/> is written for <paramref name="context"/>.</summary>
    void OnWriting(HttpContext context, ProblemDetails problem);
}
