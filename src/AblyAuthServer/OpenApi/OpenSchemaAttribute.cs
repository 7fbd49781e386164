namespace AblyAuthServer.OpenApi;

/// <summary>
/// The schema of this body is not closed: clients may send fields the server ignores (ably-js adds authParams and
/// <c>rnd</c> to token parameters), or a standard document may gain members its specification allows (a JWK Set,
/// an OpenID Connect discovery document).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class OpenSchemaAttribute : Attribute;
