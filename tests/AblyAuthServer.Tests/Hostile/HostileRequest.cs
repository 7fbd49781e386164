using System.Globalization;
using System.Text;

namespace AblyAuthServer.Tests.Hostile;

/// <summary>Which real session a credential starts from (the token itself is only known once the server runs).</summary>
public enum SessionSource
{
    /// <summary>alice's session: the one the after-checks use, so never sent where it could be ended.</summary>
    Alice,

    /// <summary>A session of a role that may ask for any clientId.</summary>
    Service,

    /// <summary>A fresh session made for this request: anything sent to logout, which ends the session it is given.</summary>
    Throwaway,
}

/// <summary>How a session token is damaged before it is sent: padded, truncated, case-flipped, whitespace-injected…</summary>
public sealed record TokenMutation(int Kind, int A, int B)
{
    public static readonly TokenMutation None = new(0, 0, 0);

    public string Apply(string token)
    {
        var at = token.Length == 0 ? 0 : A % token.Length;
        return Kind switch
        {
            1 => new string(' ', A % 4) + token + new string(B % 2 == 0 ? ' ' : '\t', B % 4),
            2 => token[..at],
            3 => token + new string((char)('A' + B % 26), 1 + A % 8),
            4 => token[..at] + ((B % 3) switch { 0 => " ", 1 => "\t", _ => "%20" }) + token[at..],
            5 => new string(token.Select((c, i) => i % (2 + B % 5) == A % 2 ? FlipCase(c) : c).ToArray()),
            6 => token[..at] + (B % 2 == 0 ? '+' : '/') + token[Math.Min(at + 1, token.Length)..],
            7 => token + new string('=', 1 + A % 3),
            8 => "\"" + token + "\"",
            9 => token + (B % 2 == 0 ? " " : ",") + token,
            10 => token[..at] + "é" + token[at..],
            11 => token.ToUpperInvariant(),
            12 => string.Empty,
            _ => token,
        };
    }

    public override string ToString() => Kind switch
    {
        0 => "intact",
        1 => "padded",
        2 => "truncated",
        3 => "extended",
        4 => "whitespace-injected",
        5 => "case-flipped",
        6 => "one character replaced",
        7 => "base64-padded",
        8 => "quoted",
        9 => "doubled",
        10 => "non-ASCII-injected",
        11 => "upper-cased",
        12 => "empty",
        _ => "intact",
    };

    private static char FlipCase(char c) => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c);
}

public abstract record Credential;

/// <summary><c>Authorization: &lt;Scheme&gt; &lt;token&gt;</c>.</summary>
public sealed record BearerCredential(string Scheme, SessionSource Source, TokenMutation Mutation) : Credential;

/// <summary><c>Cookie: &lt;Name&gt;=&lt;token&gt;</c> with other cookie text around it.</summary>
public sealed record CookieCredential(string Name, SessionSource Source, TokenMutation Mutation, string Before, string After) : Credential;

/// <summary><c>Authorization: &lt;Scheme&gt; &lt;Encoded&gt;</c>; <see cref="Password"/> is what was encoded, if anything.</summary>
public sealed record BasicCredential(string Scheme, HText Encoded, string? Password) : Credential;

/// <summary>An <c>Authorization</c> header with any value at all.</summary>
public sealed record RawAuthorization(HText Value) : Credential;

public enum Framing
{
    ContentLength,

    /// <summary>A Content-Length shorter than the body: the rest looks like the next request.</summary>
    ShortContentLength,
    Chunked,

    /// <summary>A chunk size that is not hexadecimal.</summary>
    MalformedChunked,

    /// <summary>The body with no length at all, so it is not a body.</summary>
    NoLength,
    ConflictingContentLengths,
}

/// <summary>A request body: its bytes, how they are framed, and the secrets (passwords) written into it.</summary>
public sealed record BodySpec(byte[] Bytes, Framing Framing, int Cut, IReadOnlyList<string> Secrets, string Kind);

/// <summary>One generated request, before the session tokens it refers to are filled in.</summary>
public sealed record HostileRequest(
    string Method,
    string Version,
    string Path,
    IReadOnlyList<(HText Name, HText Value)> Query,
    int QueryStyle,
    bool AbsoluteForm,
    IReadOnlyList<Credential> Credentials,
    IReadOnlyList<(string Name, HText Value)> Headers,
    BodySpec? Body)
{
    /// <summary>The known endpoint this request is routed to (routing ignores case and a trailing slash), or another bucket.</summary>
    public string Route
    {
        get
        {
            var path = Uri.UnescapeDataString(Path).ToLowerInvariant().TrimEnd('/');
            string[] known = ["/auth/login", "/auth/logout", "/ably/token", "/ably/token-request", "/healthz", "/readyz", "/swagger/v1/swagger.json"];
            return known.Contains(path) ? path
                : path == "/demo" || path.StartsWith("/demo/", StringComparison.Ordinal) ? "/demo/*"
                : path == "*" ? "*"
                : "(other path)";
        }
    }

    /// <summary>
    /// Logout ends whichever session it is given; routing matches it case-insensitively and with a trailing slash, so
    /// any path that might reach it gets throwaway sessions, keeping alice's session alive for the after-checks.
    /// </summary>
    public bool MayReachLogout => Uri.UnescapeDataString(Path).Contains("logout", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<SessionSource> SessionsUsed => Credentials.Select(c => c switch
    {
        BearerCredential b => (SessionSource?)b.Source,
        CookieCredential k => k.Source,
        _ => null,
    }).OfType<SessionSource>().Select(s => MayReachLogout ? SessionSource.Throwaway : s).Distinct();

    public RenderedRequest Render(int port, IReadOnlyDictionary<SessionSource, string> sessions, ulong caseSeed)
    {
        var secrets = new List<string>();
        string Token(SessionSource source, TokenMutation mutation)
        {
            var session = sessions[MayReachLogout ? SessionSource.Throwaway : source];
            secrets.Add(session);
            var token = mutation.Apply(session);
            secrets.Add(token);
            return token;
        }

        var head = new List<byte>();
        void Ascii(string text) => head.AddRange(Encoding.ASCII.GetBytes(text));

        Ascii(Method + " ");
        if (AbsoluteForm)
        {
            Ascii($"http://127.0.0.1:{port}");
        }

        Ascii(Path);
        if (Query.Count > 0)
        {
            head.Add((byte)'?');
            for (var i = 0; i < Query.Count; i++)
            {
                if (i > 0)
                {
                    head.Add((byte)'&');
                }

                var (name, value) = Query[i];
                switch (QueryStyle)
                {
                    // Raw bytes (spaces and all) break the request line: Kestrel's 400, which the suite must tell apart.
                    case 1:
                        head.AddRange(name.ToBytes());
                        head.Add((byte)'=');
                        head.AddRange(value.ToBytes());
                        break;
                    default:
                        Ascii(name.ToPercentEncoded());
                        head.Add((byte)'=');
                        Ascii(value.ToPercentEncoded(spaceAsPlus: QueryStyle == 2));
                        break;
                }
            }
        }

        Ascii($" {Version}\r\nHost: 127.0.0.1:{port}\r\n");
        foreach (var credential in Credentials)
        {
            switch (credential)
            {
                case BearerCredential bearer:
                    head.AddRange(Encoding.UTF8.GetBytes($"Authorization: {bearer.Scheme} {Token(bearer.Source, bearer.Mutation)}\r\n"));
                    break;
                case CookieCredential cookie:
                    head.AddRange(Encoding.UTF8.GetBytes($"Cookie: {cookie.Before}{cookie.Name}={Token(cookie.Source, cookie.Mutation)}{cookie.After}\r\n"));
                    break;
                case BasicCredential basic:
                    if (basic.Password is { } password)
                    {
                        secrets.Add(password);
                    }

                    Ascii($"Authorization: {basic.Scheme} ");
                    head.AddRange(basic.Encoded.ToBytes());
                    Ascii("\r\n");
                    break;
                case RawAuthorization raw:
                    Ascii("Authorization: ");
                    head.AddRange(HeaderValue(raw.Value));
                    Ascii("\r\n");
                    break;
            }
        }

        foreach (var (name, value) in Headers)
        {
            Ascii(name + ": ");
            head.AddRange(HeaderValue(value));
            Ascii("\r\n");
        }

        // A trace id of our own, so the server's log lines for this exact request can be found.
        Ascii($"traceparent: 00-{TraceId(caseSeed)}-{caseSeed:x16}-01\r\n");

        var body = Body?.Bytes ?? [];
        if (Body is not null)
        {
            secrets.AddRange(Body.Secrets);
            switch (Body.Framing)
            {
                case Framing.ContentLength:
                    Ascii($"Content-Length: {body.Length}\r\n");
                    break;
                case Framing.ShortContentLength:
                    Ascii($"Content-Length: {Math.Min(Body.Cut, body.Length)}\r\n");
                    break;
                case Framing.Chunked or Framing.MalformedChunked:
                    Ascii("Transfer-Encoding: chunked\r\n");
                    body = Chunk(body, Body.Cut, Body.Framing == Framing.MalformedChunked);
                    break;
                case Framing.ConflictingContentLengths:
                    Ascii($"Content-Length: {body.Length}\r\nContent-Length: {body.Length + 1}\r\n");
                    break;
            }
        }

        Ascii("\r\n");
        head.AddRange(body);
        var bytes = head.ToArray();
        return new RenderedRequest(this, bytes, [.. secrets.Distinct()], Method == "HEAD");
    }

    public static string TraceId(ulong caseSeed) => "7e57" + caseSeed.ToString("x16", CultureInfo.InvariantCulture) + "000000000000";

    // CR and LF would split our own request into two; everything else (NUL, DEL, non-ASCII, invalid UTF-8) goes as is.
    private static byte[] HeaderValue(HText value) => [.. value.ToBytes().Select(b => b is (byte)'\r' or (byte)'\n' ? (byte)' ' : b)];

    private static byte[] Chunk(byte[] body, int cut, bool malformed)
    {
        var size = Math.Clamp(cut, 1, Math.Max(1, body.Length));
        var chunks = new List<byte>();
        for (var at = 0; at < body.Length; at += size)
        {
            var length = Math.Min(size, body.Length - at);
            // A bad size is never a truncation, so the server can always tell the body is broken without waiting.
            chunks.AddRange(Encoding.ASCII.GetBytes(malformed && at == 0 ? "zz\r\n" : $"{length:x}\r\n"));
            chunks.AddRange(body.AsSpan(at, length).ToArray());
            chunks.AddRange("\r\n"u8.ToArray());
        }

        chunks.AddRange("0\r\n\r\n"u8.ToArray());
        return [.. chunks];
    }
}

/// <summary>The bytes sent for a request and the secrets in them that no response may repeat.</summary>
public sealed record RenderedRequest(HostileRequest Request, byte[] Bytes, IReadOnlyList<string> Secrets, bool IsHead)
{
    public string Describe(int max = 2500) => RawHttp.Printable(Bytes, max);
}
