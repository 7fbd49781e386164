using AblyAuthServer.Ably;

namespace AblyAuthServer.Policies;

/// <summary>A grant, or why there is none.</summary>
public readonly record struct GrantResult(TokenGrant? Grant, GrantFailure Failure, string Detail)
{
    public static GrantResult Granted(TokenGrant grant) => new(grant, default, string.Empty);

    public static GrantResult Invalid(string detail) => new(null, GrantFailure.InvalidRequest, detail);

    public static GrantResult Forbidden(string detail) => new(null, GrantFailure.Forbidden, detail);

    public static GrantResult CredentialExpiring(string detail) => new(null, GrantFailure.CredentialExpiring, detail);
}
