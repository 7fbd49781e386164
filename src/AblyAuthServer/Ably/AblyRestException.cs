namespace AblyAuthServer.Ably;

/// <summary>Ably's REST host answered with an error; the message is Ably's, never the request's credentials.</summary>
public sealed class AblyRestException(AblyErrorInfo error) : Exception($"Ably answered {error}")
{
    public AblyErrorInfo Error { get; } = error;
}
