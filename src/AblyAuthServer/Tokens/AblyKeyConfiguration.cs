using AblyAuthServer.Ably;
using AblyAuthServer.Hosting;

namespace AblyAuthServer.Tokens;

/// <summary>
/// Where the keys come from: <c>Ably:Keys</c>, the file named by <c>Ably:KeysFile</c> (<c>ABLY_KEYS_FILE</c>), or the
/// single key <c>Ably:ApiKey</c> (<c>ABLY_API_KEY</c>). Shared by the startup check and the key source, so both read
/// the same ring; no message ever contains a secret.
/// </summary>
public static class AblyKeyConfiguration
{
    public const string ApiKeySetting = "Ably:ApiKey (environment ABLY_API_KEY or ABLY_API_KEY_FILE)";
    public const string KeysFileSetting = "Ably:KeysFile (environment ABLY_KEYS_FILE)";

    /// <summary>
    /// The ring the options describe, or the failures that stop startup. <paramref name="apiKeyVariableSet"/> says whether
    /// <c>ABLY_API_KEY</c> or <c>ABLY_API_KEY_FILE</c> is set: that shortcut and a list of keys cannot both be meant, while
    /// an <c>Ably:ApiKey</c> from a settings file (the Development demo key) simply gives way to the list.
    /// </summary>
    public static AblyKeyRing? Load(AblyOptions options, bool apiKeyVariableSet, OptionsFailures failures)
    {
        var hasKeys = options.Keys.Count > 0;
        var hasFile = !string.IsNullOrWhiteSpace(options.KeysFile);
        if (hasKeys && hasFile)
        {
            failures.AddLine($"Ably:Keys and {KeysFileSetting} are both set: list the keys in one of them.");
            return null;
        }

        if ((hasKeys || hasFile) && apiKeyVariableSet)
        {
            failures.AddLine($"ABLY_API_KEY (or ABLY_API_KEY_FILE) and {(hasKeys ? "Ably:Keys" : "ABLY_KEYS_FILE")} are both set: use ABLY_API_KEY for one key, or the list for several.");
            return null;
        }

        if (hasFile)
        {
            return LoadFile(options.KeysFile!, options.SigningKeyName, out var error) is { } fileRing
                ? fileRing
                : Fail(failures, error);
        }

        if (hasKeys)
        {
            var keys = new List<AblyKey>(options.Keys.Count);
            for (var i = 0; i < options.Keys.Count; i++)
            {
                if (!TryParseKey(options.Keys[i], out var key, out var keyError))
                {
                    failures.Add($"Ably:Keys:{i}", keyError + ".");
                    return null;
                }

                keys.Add(key!);
            }

            return AblyKeyRing.TryCreate(keys, options.SigningKeyName, out var ring, out var ringError)
                ? ring
                : Fail(failures, $"Ably:Keys {ringError}.");
        }

        if (!TryParseKey(options.ApiKey, out var single, out var singleError))
        {
            failures.AddLine($"{ApiKeySetting} {singleError}.");
            return null;
        }

        return string.IsNullOrEmpty(options.SigningKeyName) || options.SigningKeyName == single!.Name
            ? AblyKeyRing.Of(single!)
            : Fail(failures, $"Ably:SigningKeyName (ABLY__SIGNINGKEYNAME) names {options.SigningKeyName}, but the one key configured is {single.Name}.");
    }

    /// <summary>The ring in <paramref name="path"/>, or null with an error naming the setting (never a secret).</summary>
    public static AblyKeyRing? LoadFile(string path, string? signingKeyName, out string error)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{KeysFileSetting} names a file that cannot be read ({e.GetType().Name}).";
            return null;
        }

        if (!AblyKeyRing.TryParseLines(text, out var keys, out var parseError))
        {
            error = $"{KeysFileSetting}: {parseError}.";
            return null;
        }

        if (!AblyKeyRing.TryCreate(keys, signingKeyName, out var ring, out var ringError))
        {
            error = $"{KeysFileSetting} {ringError}.";
            return null;
        }

        error = string.Empty;
        return ring;
    }

    private static bool TryParseKey(string? value, out AblyKey? key, out string error)
    {
        if (!AblyKey.TryParse(value, out key, out error))
        {
            return false;
        }

        if (key!.SecretLength < AblyKey.MinimumJwtSecretBytes)
        {
            // HS256 signing in Microsoft.IdentityModel refuses shorter keys; Ably's own secrets are 43 characters.
            error = $"is malformed: the secret is shorter than {AblyKey.MinimumJwtSecretBytes} bytes";
            key = null;
            return false;
        }

        return true;
    }

    private static AblyKeyRing? Fail(OptionsFailures failures, string line)
    {
        failures.AddLine(line);
        return null;
    }
}
