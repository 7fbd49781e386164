namespace AblyAuthServer.Throttling;

/// <summary>At most <see cref="PermitLimit"/> requests in each <see cref="Window"/>.</summary>
public sealed class RateLimit
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }

    internal IEnumerable<string> Validate(string path)
    {
        var variable = path.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();
        if (PermitLimit is < 1 or > 1_000_000)
        {
            yield return $"{path}:PermitLimit ({variable}__PERMITLIMIT) must be between 1 and 1000000.";
        }

        if (Window < TimeSpan.FromMilliseconds(100) || Window > TimeSpan.FromDays(1))
        {
            yield return $"{path}:Window ({variable}__WINDOW) must be between 00:00:00.1 and 1.00:00:00.";
        }
    }
}
