namespace AblyAuthServer.Policies;

/// <summary>Rules for clientIds that may be substituted into channel templates.</summary>
public static class ClientIds
{
    /// <summary>The token clientId that lets the holder act as any client.</summary>
    public const string Wildcard = "*";

    public const int MaxLength = 128;

    /// <summary>Characters that would let a clientId widen a templated channel pattern.</summary>
    private static readonly char[] PatternCharacters = ['*', ':', '[', ']', ','];

    /// <summary>
    /// True when <paramref name="clientId"/> is non-empty, at most <see cref="MaxLength"/> characters, has no control
    /// characters and none of <c>* : [ ] ,</c>, so substituting it into <c>chat:{clientId}</c> names exactly one channel.
    /// </summary>
    public static bool IsSafe(string? clientId, out string error)
    {
        if (string.IsNullOrEmpty(clientId))
        {
            error = "clientId is empty";
            return false;
        }

        if (clientId.Length > MaxLength)
        {
            error = $"clientId is longer than {MaxLength} characters";
            return false;
        }

        if (clientId.IndexOfAny(PatternCharacters) >= 0 || clientId.Any(char.IsControl))
        {
            error = "clientId contains a character that is not allowed (* : [ ] , or a control character)";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
