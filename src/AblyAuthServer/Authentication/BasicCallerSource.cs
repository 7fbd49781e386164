using Microsoft.Extensions.Options;

namespace AblyAuthServer.Authentication;

/// <summary><c>Authorization: Basic</c>, when <c>Auth:AllowBasic</c> is on.</summary>
internal sealed class BasicCallerSource(IOptionsMonitor<CallerAuthOptions> options) : ICallerSource
{
    public string? SchemeFor(HttpRequest request) =>
        options.CurrentValue.AllowBasic && request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)
            ? CallerSchemes.Basic
            : null;
}
