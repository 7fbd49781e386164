namespace AblyAuthServer.Authentication;

/// <summary>
/// Picks the scheme that authenticates a request for the <see cref="CallerSchemes.Caller"/> policy: the first
/// <see cref="ICallerSource"/> that claims it, in registration order, with the session source last whatever was
/// registered after it (it takes every request no other source claims).
/// </summary>
internal sealed class CallerSchemeSelector(IEnumerable<ICallerSource> sources)
{
    private readonly ICallerSource[] _ordered = [.. sources.Where(s => s is not SessionCallerSource), new SessionCallerSource()];

    public string Select(HttpRequest request)
    {
        foreach (var source in _ordered)
        {
            if (source.SchemeFor(request) is { } scheme)
            {
                return scheme;
            }
        }

        return CallerSchemes.Session;
    }
}
