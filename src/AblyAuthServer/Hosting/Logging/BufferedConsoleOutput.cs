using System.Text;

namespace AblyAuthServer.Hosting.Logging;

/// <summary>
/// Standard output behind a buffer that is flushed every <see cref="FlushInterval"/>, when it fills, and when the process
/// ends. The default <see cref="Console.Out"/> flushes after every write, so the console logger paid one write(2) per
/// log line, and there is an audit line per issued token.
/// Lines reach the log collector at most <see cref="FlushInterval"/> later. <see cref="DirectConsoleLogger"/> writes to
/// whatever <see cref="Console.Out"/> is at the time, so lines logged before this is installed are written unbuffered.
/// Once per process: every host in it (tests start several) shares the one buffer.
/// </summary>
internal static class BufferedConsoleOutput
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private static readonly Lock Gate = new();
    private static TextWriter? _buffered;
    private static Timer? _timer;

    public static void Install()
    {
        lock (Gate)
        {
            if (_buffered is not null)
            {
                return;
            }

            var writer = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 32 * 1024)
            {
                AutoFlush = false,
            };

            // Console.SetOut wraps it in a synchronized writer: the logger's thread, the timer and anyone else take turns.
            Console.SetOut(writer);
            _buffered = Console.Out;
            _timer = new Timer(_ => Flush(), null, FlushInterval, FlushInterval);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush();
            AppDomain.CurrentDomain.UnhandledException += (_, _) => Flush();
        }
    }

    /// <summary>Writes out whatever is buffered now (also when the logger provider is disposed, after the host's last line).</summary>
    public static void Flush()
    {
        try
        {
            _buffered?.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stdout is closed (its reader went away): there is nowhere left to deliver the lines.
        }
    }
}
