namespace AblyAuthServer.Sessions;

/// <summary>Login credentials, as JSON or form fields.</summary>
/// <param name="Username">The account's user name.</param>
/// <param name="Password">The account's password.</param>
public sealed record LoginRequest(string Username, string Password);
