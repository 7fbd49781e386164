using System.Threading.RateLimiting;
using AblyAuthServer.Accounts;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Throttling;

/// <summary>
/// Bounds how many password hashes run at once. PBKDF2 is deliberately slow; without a bound, a burst of logins (or
/// Basic-authenticated token calls) takes every core and token refreshes, which need no hashing, wait behind them.
/// Waiting checks queue without holding threads; past the queue they are refused at once.
/// </summary>
public sealed class PasswordCheckGate(IOptions<AccountsOptions> options) : IDisposable
{
    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.MaxConcurrentPasswordChecks,
        QueueLimit = options.Value.PasswordCheckQueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>A lease to hash with, or a lease whose <see cref="RateLimitLease.IsAcquired"/> is false when the queue is full.</summary>
    public ValueTask<RateLimitLease> EnterAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    public void Dispose() => _limiter.Dispose();
}
