using System.Threading.RateLimiting;

namespace AblyAuthServer.Throttling;

/// <summary>A token-limit decision made from memory: granted, or refused with the time until the window resets.</summary>
internal sealed class TokenLimitLease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
{
    public static readonly TokenLimitLease Acquired = new(true, null);

    public override bool IsAcquired => acquired;

    public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (metadataName == MetadataName.RetryAfter.Name && retryAfter is not null)
        {
            metadata = retryAfter.Value;
            return true;
        }

        metadata = null;
        return false;
    }
}
