namespace AblyAuthServer.Policies;

/// <summary>Why a grant was refused: a malformed request (400), a credential about to end (401) or a refusal by policy (403).</summary>
public enum GrantFailure
{
    InvalidRequest,
    Forbidden,
    CredentialExpiring,
}
