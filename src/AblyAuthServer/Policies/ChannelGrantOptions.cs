namespace AblyAuthServer.Policies;

public sealed class ChannelGrantOptions
{
    public string? Channel { get; init; }

    public List<string> Operations { get; init; } = [];
}
