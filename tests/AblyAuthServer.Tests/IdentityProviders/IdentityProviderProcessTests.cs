using System.Net;
using System.Text;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.IdentityProviders;

/// <summary>The built server as a process, configured for identity providers by environment only, as a container would be.</summary>
public sealed class IdentityProviderProcessTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("ably-auth-idp");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Delete(recursive: true);
    }

    [Fact]
    public async Task A_Shared_Secret_Comes_From_The_File_Named_By_Its_FILE_Variable_And_Never_Reaches_The_Output()
    {
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var keyFile = Path.Combine(_data.FullName, "supabase-jwt-secret");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)) + "\n", Ct);
        var port = ServerProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
            ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(_data.FullName, "accounts.db")}",
            ["Auth__Issuers__0__Issuer"] = "https://ref.supabase.co/auth/v1",
            ["Auth__Issuers__0__Audience"] = "authenticated",
            ["Auth__Issuers__0__Roles__0"] = "viewer",
            ["AUTH__ISSUERS__0__SYMMETRICKEY_FILE"] = keyFile,
        };
        await using var server = await ServerProcess.StartAsync(port, environment);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var token = TestIssuer.MintHs256(secret, b => b.Issuer("https://ref.supabase.co/auth/v1").Audience("authenticated").Subject("sb-7"));
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);

        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jwt = Jwt.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("sb-7", jwt.ClientId);
        Assert.Equal("""{"chat:*":["history","subscribe"]}""", jwt.Capability);
        await server.TerminateAsync();
        await server.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(server.Output, line => line.Contains(secret, StringComparison.Ordinal) || line.Contains(token, StringComparison.Ordinal));
    }
}
