using Microsoft.Extensions.Options;

namespace AblyAuthServer.Policies;

public static class PoliciesEndpoints
{
    /// <summary>Binds <c>Policies:Roles</c>, validates every entry at startup and registers the <see cref="PolicySet"/>.</summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services)
    {
        services.AddOptions<PoliciesOptions>().BindConfiguration(PoliciesOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PoliciesOptions>, PoliciesValidator>();
        services.AddSingleton(provider => PolicySet.Create(provider.GetRequiredService<IOptions<PoliciesOptions>>().Value, out _));
        return services;
    }

    private sealed class PoliciesValidator : IValidateOptions<PoliciesOptions>
    {
        public ValidateOptionsResult Validate(string? name, PoliciesOptions options)
        {
            PolicySet.Create(options, out var errors);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
