using System.Text;

namespace AblyAuthServer.Hosting.Logging;

/// <summary>
/// Standard output behind a buffer that is flushed every <see cref="FlushInterval"/>, when it fills, and when the process
/// ends. The default <see cref="Console.Out"/> flushes after every write, so the console logger paid one write(2) per
/// log line, and there is an audit line per issued token.
/// Lines reach the log collector at most <see cref="FlushInterval"/> later. <see cref="DirectConsoleLogger"/> writes to
/// this buffer when it is installed and to <see cref="Console.Out"/> otherwise, so lines logged before this is installed
/// are written unbuffered. Once per process: every host in it (tests start several) shares the one buffer.
/// </summary>
internal static class BufferedConsoleOutput
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private static readonly Lock Gate = new();
    private static Utf8OutputWriter? _writer;
    private static Timer? _timer;

    /// <summary>The installed buffer, which takes lines already encoded as UTF-8; null until <see cref="Install"/>.</summary>
    public static Utf8OutputWriter? Writer => _writer;

    public static void Install()
    {
        lock (Gate)
        {
            if (_writer is not null)
            {
                return;
            }

            _writer = new Utf8OutputWriter(Console.OpenStandardOutput(), bufferSize: 64 * 1024);
            Console.SetOut(_writer);
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
            _writer?.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stdout is closed (its reader went away): there is nowhere left to deliver the lines.
        }
    }
}

/// <summary>
/// A text writer that encodes into one byte buffer and also takes bytes already encoded as UTF-8
/// (<see cref="WriteUtf8"/>), so that a JSON log line is encoded once, not once to a string and again to bytes.
/// Thread-safe: text and UTF-8 writers take turns on one lock, so lines never interleave.
/// </summary>
internal sealed class Utf8OutputWriter(Stream output, int bufferSize) : TextWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Lock _gate = new();
    private readonly byte[] _buffer = new byte[bufferSize];
    private readonly Encoder _encoder = Utf8.GetEncoder();
    private int _count;

    public override Encoding Encoding => Utf8;

    public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(string? value) => Write(value.AsSpan());

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            Write(value.AsSpan());
            Write(CoreNewLine);
        }
    }

    public override void Write(ReadOnlySpan<char> chars)
    {
        lock (_gate)
        {
            while (!chars.IsEmpty)
            {
                // Room for at least one whole scalar (4 bytes) keeps the encoder moving.
                if (_buffer.Length - _count < 4)
                {
                    FlushBuffer();
                }

                _encoder.Convert(chars, _buffer.AsSpan(_count), flush: false, out var charsUsed, out var bytesUsed, out _);
                _count += bytesUsed;
                chars = chars[charsUsed..];
            }
        }
    }

    /// <summary>Appends bytes that are already UTF-8 (whole lines: nothing else may sit between them).</summary>
    public void WriteUtf8(ReadOnlySpan<byte> utf8)
    {
        lock (_gate)
        {
            if (utf8.Length > _buffer.Length - _count)
            {
                FlushBuffer();
                if (utf8.Length > _buffer.Length)
                {
                    output.Write(utf8);
                    return;
                }
            }

            utf8.CopyTo(_buffer.AsSpan(_count));
            _count += utf8.Length;
        }
    }

    public override void Flush()
    {
        lock (_gate)
        {
            FlushBuffer();
        }
    }

    private void FlushBuffer()
    {
        if (_count > 0)
        {
            var count = _count;
            _count = 0;
            output.Write(_buffer, 0, count);
        }
    }
}
