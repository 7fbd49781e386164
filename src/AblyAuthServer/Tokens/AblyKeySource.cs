using System.Security.Cryptography;
using AblyAuthServer.Ably;
using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary>
/// The keys in use now. From configuration they are fixed for the process; from <c>ABLY_KEYS_FILE</c> they follow the
/// file: <see cref="ReloadFile"/> swaps in a new ring when the file's content changed and still makes a valid ring, and
/// keeps the last good one otherwise, so a half-written or mistaken file never takes the signer away.
/// </summary>
public sealed partial class AblyKeySource
{
    private readonly AblyOptions _options;
    private readonly ILogger<AblyKeySource> _logger;
    private volatile AblyKeyRing _current;
    private byte[] _fileHash = [];

    public AblyKeySource(IOptions<AblyOptions> options, ILogger<AblyKeySource> logger)
    {
        _options = options.Value;
        _logger = logger;
        var failures = new OptionsFailures();
        _current = AblyKeyConfiguration.Load(_options, SecretConfiguration.ApiKeyVariableSet, failures)
            ?? throw new OptionsValidationException(AblyOptions.SectionName, typeof(AblyOptions), failures.Result.Failures ?? []);
        if (_options.KeysFile is { Length: > 0 } path && TryReadHash(path, out var hash))
        {
            _fileHash = hash;
        }
    }

    /// <summary>The keys now: one signs, every one may still have live tokens.</summary>
    public AblyKeyRing Current => _current;

    /// <summary>True when the keys come from a file that is read again for changes.</summary>
    public bool FollowsFile => !string.IsNullOrWhiteSpace(_options.KeysFile);

    /// <summary>Reads the keys file again; true when a new ring took effect.</summary>
    public bool ReloadFile()
    {
        if (_options.KeysFile is not { Length: > 0 } path || !TryReadHash(path, out var hash) || hash.AsSpan().SequenceEqual(_fileHash))
        {
            return false;
        }

        // Remembered whether or not it loads: a bad file is reported once, not on every check, until it changes again.
        _fileHash = hash;
        if (AblyKeyConfiguration.LoadFile(path, _options.SigningKeyName, out var error) is not { } ring)
        {
            LogReloadRefused(_logger, error, _current.Signing.Name);
            return false;
        }

        var previous = _current;
        _current = ring;
        LogReloaded(_logger, string.Join(", ", ring.Keys.Select(key => key.Name)), ring.Signing.Name, previous.Signing.Name);
        return true;
    }

    private static bool TryReadHash(string path, out byte[] hash)
    {
        try
        {
            hash = SHA256.HashData(File.ReadAllBytes(path));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A secret volume is swapped by renaming a link; a read in that instant fails and the next check sees it.
            hash = [];
            return false;
        }
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Information,
        Message = "Ably keys reloaded from ABLY_KEYS_FILE: {KeyNames}; signing with {SigningKeyName} (was {PreviousSigningKeyName})")]
    private static partial void LogReloaded(ILogger logger, string keyNames, string signingKeyName, string previousSigningKeyName);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Error,
        Message = "The Ably keys file changed but cannot be used, so the keys stay as they were (signing with {SigningKeyName}): {Problem}")]
    private static partial void LogReloadRefused(ILogger logger, string problem, string signingKeyName);
}
