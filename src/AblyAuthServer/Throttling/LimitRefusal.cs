namespace AblyAuthServer.Throttling;

/// <summary>A credential check refused before any password was hashed: the status, its detail, and when to retry.</summary>
public readonly record struct LimitRefusal(int Status, string Detail, TimeSpan RetryAfter);
