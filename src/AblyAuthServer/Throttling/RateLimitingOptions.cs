namespace AblyAuthServer.Throttling;

/// <summary><c>RateLimiting</c>: fixed-window limits for login attempts and token issuance.</summary>
public sealed class RateLimitingOptions
{
    public const string SectionName = "RateLimiting";

    public LoginLimits Login { get; set; } = new();

    public TokenLimits Tokens { get; set; } = new();

    public sealed class LoginLimits
    {
        /// <summary>Login attempts per client IP (IPv6: per /64), whatever the user name.</summary>
        public RateLimit PerIp { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };

        /// <summary>Login attempts per user name, from every address; the same for names that do not exist.</summary>
        public RateLimit PerUsername { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) };
    }

    public sealed class TokenLimits
    {
        /// <summary>Token and TokenRequest issuance per authenticated user.</summary>
        public RateLimit PerUser { get; set; } = new() { PermitLimit = 60, Window = TimeSpan.FromMinutes(1) };
    }
}
