namespace AblyAuthServer.Hosting;

/// <summary>Maps the conventional secret variables onto configuration keys, after every other source.</summary>
internal static class SecretConfiguration
{
    /// <summary>
    /// <c>ABLY_API_KEY</c> → <c>Ably:ApiKey</c>, <c>ABLY_KEYS_FILE</c> → <c>Ably:KeysFile</c>; <c>NAME_FILE</c> variables (Docker secrets) are read from disk, for the
    /// Ably key, the account store's connection string, Redis's configuration and identity providers' shared secrets.
    /// A named file that cannot be read stops startup naming the variable, never its content.
    /// </summary>
    /// <summary>
    /// <c>ABLY_API_KEY</c> or <c>ABLY_API_KEY_FILE</c> is set: the single-key shortcut was chosen on purpose, so a list of
    /// keys beside it is a conflict rather than a replacement.
    /// </summary>
    public static bool ApiKeyVariableSet =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ABLY_API_KEY")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ABLY_API_KEY_FILE"));

    public static IConfigurationBuilder AddSecretVariables(this IConfigurationBuilder configuration)
    {
        var values = new Dictionary<string, string?>();
        Map("ABLY_API_KEY", "Ably:ApiKey");
        Map("ACCOUNTS__CONNECTIONSTRING", "Accounts:ConnectionString");
        Map("REDIS__CONFIGURATION", "Redis:Configuration");

        // One shared secret per identity provider that signs with HS256: AUTH__ISSUERS__<i>__SYMMETRICKEY(_FILE).
        foreach (var index in IssuerIndexes())
        {
            Map($"AUTH__ISSUERS__{index}__SYMMETRICKEY", $"Auth:Issuers:{index}:SymmetricKey");
        }

        // The keys file is read, and read again when it changes, by the key source: only its path goes into configuration.
        if (Environment.GetEnvironmentVariable("ABLY_KEYS_FILE") is { Length: > 0 } keysFile)
        {
            values["Ably:KeysFile"] = keysFile;
        }

        return values.Count == 0 ? configuration : configuration.AddInMemoryCollection(values);

        static IEnumerable<string> IssuerIndexes() =>
            Environment.GetEnvironmentVariables().Keys.OfType<string>()
                .Select(name => System.Text.RegularExpressions.Regex.Match(name, "^AUTH__ISSUERS__([0-9]+)__SYMMETRICKEY_FILE$", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
                .Where(match => match.Success)
                .Select(match => match.Groups[1].Value)
                .Distinct(StringComparer.Ordinal);

        void Map(string variable, string key)
        {
            var path = Environment.GetEnvironmentVariable(variable + "_FILE");
            if (!string.IsNullOrEmpty(path))
            {
                try
                {
                    values[key] = File.ReadAllText(path).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new StartupConfigurationException($"{variable}_FILE names a file that cannot be read ({e.GetType().Name}).");
                }

                return;
            }

            var value = Environment.GetEnvironmentVariable(variable);
            if (value is not null)
            {
                values[key] = value;
            }
        }
    }
}
