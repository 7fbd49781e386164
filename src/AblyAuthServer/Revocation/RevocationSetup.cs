namespace AblyAuthServer.Revocation;

public static class RevocationSetup
{
    /// <summary>
    /// The revocation-key scheme, the outbox's queries and, in revocable mode, the worker that delivers the outbox to
    /// Ably. The <c>users</c> CLI only writes the outbox: a running server delivers what it wrote.
    /// </summary>
    public static IServiceCollection AddRevocation(this IServiceCollection services)
    {
        services.AddSingleton<RevocationTargets>();
        services.AddSingleton<RevocationOutbox>();
        services.AddSingleton<RevocationStatus>();
        services.AddHostedService<RevocationDelivery>();
        return services;
    }
}
