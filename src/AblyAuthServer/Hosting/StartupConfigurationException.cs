namespace AblyAuthServer.Hosting;

/// <summary>A configuration problem found before the host starts; its message is one line for the operator.</summary>
internal sealed class StartupConfigurationException(string message) : Exception(message);
