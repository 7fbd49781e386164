namespace AblyAuthServer.Demo;

/// <summary><c>Demo</c>: the browser demo page at <c>/demo</c>. Off unless switched on (Development turns it on).</summary>
public sealed class DemoOptions
{
    public const string SectionName = "Demo";

    /// <summary>Serves <c>GET /demo</c> and its assets when true; maps nothing when false.</summary>
    public bool Enabled { get; init; }
}
