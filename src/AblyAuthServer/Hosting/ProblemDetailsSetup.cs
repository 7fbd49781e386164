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

        // The framework's writer declines when Accept names no JSON type (text/plain, text/html, image/png): a refusal
        // then became an empty 500 or a plain-text status page. A problem is this API's only error format, so it is
        // written whatever the client said it accepts.
        var framework = services.Where(d => d.ServiceType == typeof(IProblemDetailsWriter)).Skip(writersBefore).Single();
        services.Remove(framework);
        services.AddSingleton<IProblemDetailsWriter>(provider =>
            new AcceptAnyProblemWriter((IProblemDetailsWriter)ActivatorUtilities.CreateInstance(provider, framework.ImplementationType!)));
        return services;
    }

    private sealed class AcceptAnyProblemWriter(IProblemDetailsWriter framework) : IProblemDetailsWriter
    {
        public bool CanWrite(ProblemDetailsContext context) => true;

        public ValueTask WriteAsync(ProblemDetailsContext context) => framework.WriteAsync(context);
    }
}
