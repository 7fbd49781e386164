namespace AblyAuthServer.Hosting;

/// <summary><c>Cors</c>: the browser origins (other than this server's own) that may call login, logout and the token endpoints.</summary>
public sealed class CrossOriginOptions
{
    public const string SectionName = "Cors";

    /// <summary>Exact origins such as <c>https://app.example.com</c>. Empty by default: same-origin pages only.</summary>
    public string[] AllowedOrigins { get; set; } = [];
}
