using AblyAuthServer.Accounts;
using AblyAuthServer.Health;
using AblyAuthServer.Hosting;
using AblyAuthServer.OpenApi;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tokens;

return await StartupGuard.RunGuardedAsync(async () =>
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Configuration.AddSecretVariables();

    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddProblemResponses();
    builder.Services.AddPolicies();
    builder.Services.AddAccounts();
    builder.Services.AddSessions();
    builder.Services.AddTokens();
    builder.Services.AddHealth();
    builder.Services.AddOpenApiDocument();

    var app = builder.Build();
    if (UsersCommand.IsInvocation(args))
    {
        return await UsersCommand.RunAsync(app.Services, args, Console.In, Console.Out, Console.Error);
    }

    app.ValidateConfiguration();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseAuthentication();
    app.UseAuthorization();

    app.MapOpenApiDocument();
    app.MapHealth();
    app.MapSessions();
    app.MapTokens();

    await app.RunAsync();
    return 0;
});
