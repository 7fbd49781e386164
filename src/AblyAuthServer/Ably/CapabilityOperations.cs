namespace AblyAuthServer.Ably;

/// <summary>The capability operations Ably knows (ably-js 2.28 <c>capabilityOp</c>); the one list the code checks against.</summary>
public static class CapabilityOperations
{
    /// <summary>All operations: <c>*</c> on either side of an intersection means every operation.</summary>
    public const string All = "*";

    /// <summary>Every accepted operation name, <see cref="All"/> included.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        All,
        "publish",
        "subscribe",
        "presence",
        "object-subscribe",
        "object-publish",
        "annotation-subscribe",
        "annotation-publish",
        "message-update-any",
        "message-update-own",
        "message-delete-any",
        "message-delete-own",
        "history",
        "stats",
        "channel-metadata",
        "push-subscribe",
        "push-admin",
        "privileged-headers",
    };

    /// <summary>True when <paramref name="operation"/> is a known operation name.</summary>
    public static bool IsKnown(string operation) => Known.Contains(operation);
}
