using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Demo;
using AblyAuthServer.EmbeddedTokens;
using AblyAuthServer.Health;
using AblyAuthServer.Hosting;
using AblyAuthServer.Hosting.Logging;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.OpenApi;
using AblyAuthServer.Policies;
using AblyAuthServer.Redis;
using AblyAuthServer.Revocation;
using AblyAuthServer.Sessions;
using AblyAuthServer.Throttling;
using AblyAuthServer.Tokens;

return await StartupGuard.RunGuardedAsync(async () =>
{
    if (!UsersCommand.IsInvocation(args))
    {
        BufferedConsoleOutput.Install();
    }

    // appsettings.json ships beside the executable; relative data paths stay relative to the working directory.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.Configuration.AddSecretVariables();
    builder.AddDirectConsoleLogging();

    builder.Services.AddSingleton(TimeProvider.System);
    builder.AddTelemetry();
    builder.Services.AddServerLimits();
    builder.Services.AddTrustedForwardedHeaders();
    builder.Services.AddSecurityHeaders();
    builder.Services.AddCrossOriginPolicy();
    builder.Services.AddSharedRedis();
    builder.Services.AddRateLimits();
    builder.Services.AddProblemResponses();
    builder.Services.AddPolicies();
    builder.Services.AddAccounts();
    builder.Services.AddSessions();
    builder.Services.AddCallerAuthentication();
    builder.Services.AddTokens();
    builder.Services.AddRevocation();
    builder.Services.AddEmbeddedTokens();
    builder.Services.AddHealth();
    builder.Services.AddOpenApiDocument();
    builder.Services.AddDemo();

    var app = builder.Build();
    if (UsersCommand.IsInvocation(args))
    {
        return await UsersCommand.RunAsync(app.Services, args, Console.In, Console.Out, Console.Error);
    }

    app.ValidateConfiguration();
    app.UseMetricsPort();
    app.UseTrustedForwardedHeaders();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseSecurityHeaders();
    app.UseRouting();
    // Before authentication: waiting for a password check (Basic) is bounded by the request timeout too.
    app.UseRequestTimeouts();
    app.UseCors();
    app.UseAuthentication();
    app.UseAuthorization();
    app.UseRateLimits();

    app.MapOpenApiDocument();
    app.MapHealth();
    app.MapSessions();
    app.MapTokens();
    app.MapEmbeddedTokens();
    app.MapDemo();

    await app.RunAsync();
    return 0;
});
