using Microsoft.Extensions.Options;

namespace AblyAuthServer.Policies;

/// <summary>Startup checks of every role and entry; each failure names <c>Policies:Roles:&lt;role&gt;:Capabilities:&lt;i&gt;</c>.</summary>
internal sealed class PoliciesOptionsValidator : IValidateOptions<PoliciesOptions>
{
    public ValidateOptionsResult Validate(string? name, PoliciesOptions options)
    {
        PolicySet.Create(options, out var errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
