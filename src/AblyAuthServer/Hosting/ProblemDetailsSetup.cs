using System.Diagnostics;

namespace AblyAuthServer.Hosting;

public static class ProblemDetailsSetup
{
    /// <summary>
    /// Every error, including 404/405 from routing and unhandled exceptions, as <c>application/problem+json</c>
    /// with a trace id and a useful <c>detail</c>; never exception text.
    /// </summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddExceptionHandler<InvalidRequestExceptionHandler>();
        var writersBefore = services.Count(d => d.ServiceType == typeof(IProblemDetailsWriter));
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;

            // ASP.NET Core's defaults name no type for these two.
            problem.Type ??= problem.Status switch
            {
                StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
                StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
                _ => null,
            };
            problem.Detail ??= problem.Status switch
            {
                StatusCodes.Status404NotFound => "There is no resource at this path.",
                StatusCodes.Status405MethodNotAllowed => "This path does not accept the HTTP method used.",
                StatusCodes.Status400BadRequest => "The request is malformed.",
                StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
                StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json or application/x-www-form-urlencoded.",
                StatusCodes.Status500InternalServerError => "The server failed to handle the request; it has been logged with the trace id.",
                _ => null,
            };
        });

        var framework = services.Where(d => d.ServiceType == typeof(IProblemDetailsWriter)).Skip(writersBefore).Single();
        services.Remove(framework);
        services.AddSingleton<IProblemDetailsWriter>(provider =>
            new ProblemWriter((IProblemDetailsWriter)ActivatorUtilities.CreateInstance(provider, framework.ImplementationType!)));
        return services;
    }

    /// <summary>
    /// The one place every problem passes through. The framework's writer declines when Accept names no JSON type
    /// (a refusal then became an empty 500 or a plain-text page); a problem is this API's only error format, so it is
    /// written whatever the client accepts. No cache keeps one, and the endpoint's problem metadata is applied.
    /// </summary>
    private sealed class ProblemWriter(IProblemDetailsWriter framework) : IProblemDetailsWriter
    {
        public bool CanWrite(ProblemDetailsContext context) => true;

        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            var http = context.HttpContext;
            http.Response.Headers.CacheControl = "no-store";
            if (http.GetEndpoint()?.Metadata.GetOrderedMetadata<IProblemResponseMetadata>() is { Count: > 0 } additions)
            {
                // The status the response will carry: problems written by results name it only in the body.
                context.ProblemDetails.Status ??= http.Response.StatusCode;
                foreach (var addition in additions)
                {
                    addition.OnWriting(http, context.ProblemDetails);
                }
            }

            return framework.WriteAsync(context);
        }
    }
}
