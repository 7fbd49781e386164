namespace AblyAuthServer.Throttling;

/// <summary>A fixed window's count after an addition, and how long until the window starts over.</summary>
public readonly record struct WindowCount(long Count, TimeSpan ResetsIn);
