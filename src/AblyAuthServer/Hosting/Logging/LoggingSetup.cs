using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;

namespace AblyAuthServer.Hosting.Logging;

public static class LoggingSetup
{
    /// <summary>
    /// Console logs as configured under <c>Logging:Console</c> (formatter, its options, levels), written by
    /// <see cref="DirectConsoleLoggerProvider"/> into <see cref="BufferedConsoleOutput"/> instead of through the framework
    /// console logger's queue. The framework's formatters and option bindings stay; only the provider is swapped.
    /// </summary>
    public static WebApplicationBuilder AddDirectConsoleLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.AddConsole();
        builder.Services.RemoveImplementation(typeof(ILoggerProvider), typeof(ConsoleLoggerProvider));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, DirectConsoleLoggerProvider>());
        return builder;
    }

    private static void RemoveImplementation(this IServiceCollection services, Type serviceType, Type implementationType)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == serviceType && services[i].ImplementationType == implementationType)
            {
                services.RemoveAt(i);
            }
        }
    }
}
