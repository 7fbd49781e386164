namespace AblyAuthServer.OpenApi;

/// <summary>
/// The schema of this body is not closed: clients may send fields the server ignores (ably-js adds authParams and
/// <c>rnd</c> to token parameters).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class OpenSchemaAttribute : Attribute;
