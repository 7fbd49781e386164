namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// When keys are created, sign, stop signing and stop being published. Pure, so every replica that reads the same keys
/// at the same time reaches the same answers, and tests can walk it with any clock.
/// <list type="bullet">
/// <item>The first key signs at once. Each later one is created <see cref="Prepublication"/> before its predecessor has
/// signed for <see cref="Lifetime"/>, and signs only from then: published first, so APIs caching the key set know it.</item>
/// <item>The signer is the key that activated last (ties: the later generation); it retires when the next one activates.</item>
/// <item>A retired key stays published for <see cref="Retention"/>, until every token it signed has expired.</item>
/// </list>
/// </summary>
/// <param name="Lifetime">How long a key signs.</param>
/// <param name="Prepublication">How long a key is published before it signs.</param>
/// <param name="Retention">How long a retired key stays published: the longest token lifetime plus the clock skew verifiers allow.</param>
public sealed record SigningKeySchedule(TimeSpan Lifetime, TimeSpan Prepublication, TimeSpan Retention)
{
    /// <summary>What verifiers allow past <c>exp</c> by default (JwtBearer's ClockSkew).</summary>
    public static readonly TimeSpan VerifierClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The key that signs at <paramref name="now"/>, or null before the first key activates.</summary>
    public static SigningKey? Signer(IReadOnlyList<SigningKey> keys, DateTimeOffset now) =>
        keys.Where(k => k.ActivatesAt <= now).Max(SigningKey.SigningOrder);

    /// <summary>When <paramref name="key"/> stops signing: when a key after it in signing order activates; null while none is scheduled.</summary>
    public static DateTimeOffset? RetiresAt(SigningKey key, IReadOnlyList<SigningKey> keys) =>
        keys.Where(k => SigningKey.SigningOrder.Compare(k, key) > 0).Select(k => (DateTimeOffset?)k.ActivatesAt).Min();

    /// <summary>Whether <paramref name="key"/> is in the published key set at <paramref name="now"/>.</summary>
    public bool IsPublished(SigningKey key, IReadOnlyList<SigningKey> keys, DateTimeOffset now) =>
        RetiresAt(key, keys) is not { } retired || now < retired + Retention;

    /// <summary>The key to create at <paramref name="now"/>, if one is due: its generation and activation.</summary>
    public (long Generation, DateTimeOffset ActivatesAt)? Next(IReadOnlyList<SigningKey> keys, DateTimeOffset now)
    {
        if (keys.Count == 0)
        {
            return (1, now);
        }

        var newest = keys.MaxBy(k => k.Generation)!;
        var handover = newest.ActivatesAt + Lifetime;
        if (now < handover - Prepublication)
        {
            return null;
        }

        // Checked late (every replica was down): the current key signs on until the new one has been published long enough.
        var activatesAt = handover > now + Prepublication ? handover : now + Prepublication;
        return (newest.Generation + 1, activatesAt);
    }
}
