namespace AblyAuthServer.Ably;

/// <summary>
/// Ably's REST host said yes, but its answer is not what the endpoint returns, so nothing from it is used. The message
/// says what was wrong, never what the answer held.
/// </summary>
public sealed class AblyAnswerException(string endpoint, string problem) : Exception($"Ably's answer to {endpoint} is unusable: {problem}")
{
    /// <summary>What was wrong with the answer.</summary>
    public string Problem { get; } = problem;
}
