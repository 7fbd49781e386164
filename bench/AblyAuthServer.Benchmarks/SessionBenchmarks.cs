using AblyAuthServer.Sessions;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.DataProtection;

namespace AblyAuthServer.Benchmarks;

/// <summary>
/// The session-token half of every token request: SessionTokens.Unprotect (data protection: AES-256-CBC + HMACSHA256
/// with a per-call derived subkey) runs before any Ably work. Protect is the login side.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(QuickConfig))]
public class SessionBenchmarks
{
    private DirectoryInfo _keys = null!;
    private SessionTokens _tokens = null!;
    private SessionTicket _ticket = null!;
    private string _token = null!;

    [GlobalSetup]
    public void Setup()
    {
        // An ephemeral key ring in a temp directory, like the server's file-system key ring.
        _keys = Directory.CreateTempSubdirectory("ably-bench-keys-");
        _tokens = new SessionTokens(DataProtectionProvider.Create(_keys, builder => builder.SetApplicationName("AblyAuthServer")));
        var now = DateTimeOffset.UtcNow;
        _ticket = new SessionTicket(SessionTokens.NewSessionId(), Fixtures.Alice, Guid.NewGuid().ToString("N").ToUpperInvariant(), now, now.AddHours(8));
        _token = _tokens.Protect(_ticket);
    }

    [GlobalCleanup]
    public void Cleanup() => _keys.Delete(recursive: true);

    /// <summary>What each Bearer/cookie request pays to read its session.</summary>
    [Benchmark(Baseline = true)]
    public SessionTicket? UnprotectSession() => _tokens.Unprotect(_token);

    /// <summary>What each login pays to issue a session (besides the password hash).</summary>
    [Benchmark]
    public string ProtectSession() => _tokens.Protect(_ticket);
}
