using System.Globalization;
using System.Net;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>An error in Ably's wire shape: the HTTP status, Ably's five-digit code and a message.</summary>
public sealed record AblyRestError(HttpStatusCode StatusCode, int Code, string Message)
{
    /// <summary>What an Ably REST host answers when it breaks: 500 with code 50000.</summary>
    public static AblyRestError Internal { get; } = new(HttpStatusCode.InternalServerError, 50000, "Internal error (injected by the stand-in)");

    /// <summary>Ably puts a help link for the code in every error body.</summary>
    public string Href => string.Create(CultureInfo.InvariantCulture, $"https://help.ably.io/error/{Code}");
}
