using Microsoft.Extensions.Options;

namespace AblyAuthServer.Policies;

public static partial class PoliciesEndpoints
{
    /// <summary>Binds <c>Policies:Roles</c>, validates every entry at startup and registers the <see cref="PolicySet"/>.</summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services)
    {
        services.AddOptions<PoliciesOptions>().BindConfiguration(PoliciesOptions.SectionName)
            .PostConfigure(options => options.UseExampleRolesIfNoneConfigured())
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PoliciesOptions>, PoliciesOptionsValidator>();
        services.AddHostedService<ExampleRolesNotice>();
        services.AddSingleton(provider => PolicySet.Create(provider.GetRequiredService<IOptions<PoliciesOptions>>().Value, out _));
        return services;
    }

    /// <summary>Says at startup that the example roles are in use, so nobody runs them in production unknowingly.</summary>
    private sealed partial class ExampleRolesNotice(IOptions<PoliciesOptions> options, ILogger<ExampleRolesNotice> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Value.UsesExampleRoles)
            {
                LogExampleRoles(logger, string.Join(", ", options.Value.Roles.Keys.Order(StringComparer.Ordinal)));
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(EventId = 4000, Level = LogLevel.Warning,
            Message = "No role is configured (Policies:Roles); using the example roles {Roles}. Configure your own roles before production use.")]
        private static partial void LogExampleRoles(ILogger logger, string roles);
    }
}
