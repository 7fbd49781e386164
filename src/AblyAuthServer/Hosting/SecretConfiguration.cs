namespace AblyAuthServer.Hosting;

/// <summary>Maps the conventional secret variables onto configuration keys, after every other source.</summary>
internal static class SecretConfiguration
{
    /// <summary>
    /// <c>ABLY_API_KEY</c> → <c>Ably:ApiKey</c>; <c>NAME_FILE</c> variables (Docker secrets) are read from disk.
    /// A named file that cannot be read stops startup naming the variable, never its content.
    /// </summary>
    public static IConfigurationBuilder AddSecretVariables(this IConfigurationBuilder configuration)
    {
        var values = new Dictionary<string, string?>();
        Map("ABLY_API_KEY", "Ably:ApiKey");
        Map("ACCOUNTS__CONNECTIONSTRING", "Accounts:ConnectionString");
        Map("REDIS__CONFIGURATION", "Redis:Configuration");
        return values.Count == 0 ? configuration : configuration.AddInMemoryCollection(values);

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
