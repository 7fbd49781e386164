using System.Net;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

/// <summary>Startup checks of <see cref="TrustedProxyOptions"/>: real addresses and networks, and never every address.</summary>
internal sealed class TrustedProxyOptionsValidator : IValidateOptions<TrustedProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustedProxyOptions options)
    {
        var failures = new OptionsFailures();
        if (!options.KnownProxies.All(IsAddress))
        {
            failures.AddLine("ForwardedHeaders:KnownProxies (FORWARDEDHEADERS__KNOWNPROXIES__<n>) must list IP addresses, e.g. 10.0.0.2.");
        }

        if (!options.KnownNetworks.All(n => IPNetwork.TryParse(n, out _)))
        {
            failures.AddLine("ForwardedHeaders:KnownNetworks (FORWARDEDHEADERS__KNOWNNETWORKS__<n>) must list CIDR networks, e.g. 10.0.0.0/8.");
        }
        else if (options.KnownNetworks.Any(n => IPNetwork.Parse(n).PrefixLength == 0))
        {
            failures.AddLine("ForwardedHeaders:KnownNetworks (FORWARDEDHEADERS__KNOWNNETWORKS__<n>) must not contain 0.0.0.0/0 or ::/0: that trusts every client to name its own address. List your proxies' networks.");
        }

        return failures.Result;
    }

    // IPAddress.TryParse also accepts legacy forms such as "10.0.0" (= 10.0.0.0); a proxy list wants dotted quads.
    private static bool IsAddress(string text) =>
        IPAddress.TryParse(text, out var address)
        && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || text.Count(c => c == '.') == 3);
}
