using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AblyAuthServer.Tests.Hostile;

/// <summary>A response as it came off the socket: status, header lines in order (bytes as Latin-1), and the decoded body.</summary>
public sealed record RawResponse(string StatusLine, int Status, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> HeaderValues(string name) =>
        Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public string? MediaType => Header("Content-Type")?.Split(';')[0].Trim();

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>
    /// Kestrel's own refusal of a request it could not parse (bad request line or header, 414, 431, unframable body),
    /// written before any middleware ran. The app's first middleware that can answer adds
    /// <c>X-Content-Type-Options: nosniff</c> to every response it starts (errors included), while Kestrel's refusal is a
    /// bare 4xx with <c>Content-Length: 0</c> and <c>Connection: close</c>; all three together tell them apart, and
    /// anything else is the app's answer, which must be a problem.
    /// </summary>
    public bool IsKestrelRejection =>
        Status is >= 400 and < 500
        && Header("Content-Length") == "0"
        && string.Equals(Header("Connection"), "close", StringComparison.OrdinalIgnoreCase)
        && Header("X-Content-Type-Options") is null;

    /// <summary>Status line, headers and body as one text, bytes above 0x7F as Latin-1 and as UTF-8, for leak searches.</summary>
    public string Everything
    {
        get
        {
            var head = StatusLine + "\n" + string.Join("\n", Headers.Select(h => h.Name + ": " + h.Value));
            return head + "\n" + Encoding.Latin1.GetString(Body) + "\n" + BodyText;
        }
    }

    public string Describe(int maxBody = 600)
    {
        var text = new StringBuilder(StatusLine).Append('\n');
        foreach (var (name, value) in Headers)
        {
            text.Append("   ").Append(name).Append(": ").Append(RawHttp.Printable(Encoding.Latin1.GetBytes(value), 300)).Append('\n');
        }

        return text.Append("   body: ").Append(RawHttp.Printable(Body, maxBody)).ToString();
    }
}

/// <summary>
/// HTTP/1.1 over a plain socket, one request per connection: sends exactly the given bytes (whatever an HttpClient
/// would refuse to send) and parses one response, following its Content-Length or chunked framing.
/// </summary>
public static class RawHttp
{
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The response, or null when the server closed the connection without answering.</summary>
    public static async Task<RawResponse?> SendAsync(int port, byte[] request, bool isHead, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ResponseTimeout);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // Kestrel may refuse and close before the whole request is written; its answer is still to be read.
        }

        using var reader = new ResponseReader(stream, timeout.Token);
        try
        {
            return await reader.ReadAsync(isHead);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no complete response within {ResponseTimeout.TotalSeconds:0} s; received: {Printable(reader.Received, 600)}");
        }
    }

    /// <summary>Bytes as readable text: printable ASCII as is, everything else escaped, cut at <paramref name="max"/>.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes, int max = 2000)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, max)])
        {
            text.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7F => ((char)b).ToString(),
                _ => "\\x" + b.ToString("x2", CultureInfo.InvariantCulture),
            });
        }

        if (bytes.Length > max)
        {
            text.Append(CultureInfo.InvariantCulture, $"…(+{bytes.Length - max} bytes)");
        }

        return text.ToString();
    }

    private sealed class ResponseReader(Stream stream, CancellationToken cancellationToken) : IDisposable
    {
        private readonly MemoryStream _received = new();
        private int _position;
        private bool _closed;

        public byte[] Received => _received.ToArray();

        public void Dispose() => _received.Dispose();

        public async Task<RawResponse?> ReadAsync(bool isHead)
        {
            while (true)
            {
                var head = await ReadHeadAsync();
                if (head is null)
                {
                    return null;
                }

                var lines = head.Split("\r\n");
                var statusLine = lines[0];
                var parts = statusLine.Split(' ', 3);
                var status = parts.Length >= 2 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var code) ? code : -1;
                var headers = lines.Skip(1).Where(l => l.Length > 0).Select(l =>
                {
                    var colon = l.IndexOf(':', StringComparison.Ordinal);
                    return colon < 0 ? (l, string.Empty) : (l[..colon], l[(colon + 1)..].Trim(' ', '\t'));
                }).ToList();
                if (status is >= 100 and < 200)
                {
                    continue; // 100 Continue and friends precede the real response
                }

                var response = new RawResponse(statusLine, status, headers, []);
                if (isHead || status is 204 or 304)
                {
                    return response;
                }

                if (response.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
                {
                    return response with { Body = await ReadChunkedAsync() };
                }

                if (response.Header("Content-Length") is { } length && long.TryParse(length, CultureInfo.InvariantCulture, out var n))
                {
                    return response with { Body = await ReadExactlyAsync((int)n) };
                }

                return response with { Body = await ReadToEndAsync() };
            }
        }

        private async Task<string?> ReadHeadAsync()
        {
            while (true)
            {
                var buffer = _received.GetBuffer();
                var end = IndexOf(buffer.AsSpan(_position, (int)_received.Length - _position), "\r\n\r\n"u8);
                if (end >= 0)
                {
                    var head = Encoding.Latin1.GetString(buffer, _position, end);
                    _position += end + 4;
                    return head;
                }

                if (!await FillAsync())
                {
                    return null;
                }
            }
        }

        private async Task<byte[]> ReadChunkedAsync()
        {
            var body = new MemoryStream();
            while (true)
            {
                var line = await ReadLineAsync();
                var size = int.Parse(line.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while ((await ReadLineAsync()).Length > 0)
                    {
                    }

                    return body.ToArray();
                }

                body.Write(await ReadExactlyAsync(size));
                await ReadLineAsync();
            }
        }

        private async Task<string> ReadLineAsync()
        {
            while (true)
            {
                var buffer = _received.GetBuffer();
                var end = IndexOf(buffer.AsSpan(_position, (int)_received.Length - _position), "\r\n"u8);
                if (end >= 0)
                {
                    var line = Encoding.Latin1.GetString(buffer, _position, end);
                    _position += end + 2;
                    return line;
                }

                if (!await FillAsync())
                {
                    throw new IOException("the connection closed inside a chunked body");
                }
            }
        }

        private async Task<byte[]> ReadExactlyAsync(int count)
        {
            while (_received.Length - _position < count)
            {
                if (!await FillAsync())
                {
                    throw new IOException($"the connection closed {count - (_received.Length - _position)} bytes before the end of the body");
                }
            }

            var bytes = _received.GetBuffer().AsSpan(_position, count).ToArray();
            _position += count;
            return bytes;
        }

        private async Task<byte[]> ReadToEndAsync()
        {
            while (await FillAsync())
            {
            }

            var bytes = _received.GetBuffer().AsSpan(_position, (int)_received.Length - _position).ToArray();
            _position = (int)_received.Length;
            return bytes;
        }

        private async Task<bool> FillAsync()
        {
            if (_closed)
            {
                return false;
            }

            var chunk = new byte[16 * 1024];
            int read;
            try
            {
                read = await stream.ReadAsync(chunk, cancellationToken);
            }
            catch (IOException)
            {
                // A reset after the response (Kestrel closing on unread request bytes) ends what there is to read.
                read = 0;
            }

            if (read == 0)
            {
                _closed = true;
                return false;
            }

            _received.Write(chunk, 0, read);
            return true;
        }

        private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);
    }
}
