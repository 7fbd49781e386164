namespace AblyAuthServer.Hosting;

/// <summary>
/// A request refused while its inputs were bound (malformed body, wrong media type, too large): answered with
/// <see cref="Status"/> and the message as the problem's detail by <see cref="InvalidRequestExceptionHandler"/>.
/// The message must never quote a secret.
/// </summary>
public sealed class InvalidRequestException(int status, string detail) : Exception(detail)
{
    public int Status { get; } = status;
}
