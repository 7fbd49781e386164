using AblyAuthServer.Accounts;
using AblyAuthServer.Demo;
using AblyAuthServer.Health;
using AblyAuthServer.Hosting;
using AblyAuthServer.OpenApi;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tokens;

return await StartupGuard.RunGuardedAsync(async () =>
{
    // appsettings.json ships beside the executable; relative data paths stay relative to the working directory.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.Configuration.AddSecretVariables();

    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddProblemResponses();
    builder.Services.AddPolicies();
    builder.Services.AddAccounts();
    builder.Services.AddSessions();
    builder.Services.AddTokens();
    builder.Services.AddHealth();
    builder.Services.AddOpenApiDocument();
    builder.Services.AddDemo();

    var app = builder.Build();
    if (UsersCommand.IsInvocation(args))
    {
        return await UsersCommand.RunAsync(app.Services, args, Console.In, Console.Out, Console.Error);
    }

    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseAuthentication();
    app.UseAuthorization();

    app.MapOpenApiDocument();
    app.MapHealth();
    app.MapSessions();
    app.MapTokens();
    app.MapDemo();

    app.ValidateConfiguration();
    await app.RunAsync();
    return 0;
});
