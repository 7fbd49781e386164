using Microsoft.AspNetCore.Diagnostics;

namespace AblyAuthServer.Hosting;

/// <summary>Turns <see cref="InvalidRequestException"/> into its problem; every other exception stays a logged 500.</summary>
internal sealed class InvalidRequestExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not InvalidRequestException invalid)
        {
            return false;
        }

        // The middleware cleared the endpoint before calling handlers; its metadata (an error contract) still applies.
        httpContext.SetEndpoint(httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint);
        await ProblemResponses.WriteAsync(httpContext, invalid.Status, invalid.Message);
        return true;
    }
}
