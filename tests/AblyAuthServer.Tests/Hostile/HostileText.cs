using System.Globalization;
using System.Text;

namespace AblyAuthServer.Tests.Hostile;

/// <summary>
/// Text as an attacker can send it, which a .NET string cannot always hold: ordinary characters (any Unicode,
/// control characters included), lone UTF-16 surrogates (a JSON escape such as <c>\ud800</c>, or its CESU-8 bytes
/// elsewhere), and bytes that are not UTF-8 at all.
/// </summary>
public sealed record HText(IReadOnlyList<HText.Piece> Pieces)
{
    public abstract record Piece;

    public sealed record Chars(string Text) : Piece;

    public sealed record Surrogate(char Unit) : Piece;

    public sealed record Bytes(byte[] Raw) : Piece;

    public static HText Of(string text) => new([new Chars(text)]);

    public static readonly HText Empty = Of(string.Empty);

    /// <summary>Only ordinary characters: what a server could echo back verbatim.</summary>
    public bool IsPlain => Pieces.All(p => p is Chars);

    /// <summary>The ordinary characters, for leak searches.</summary>
    public string Plain => string.Concat(Pieces.OfType<Chars>().Select(c => c.Text));

    public int Length => Pieces.Sum(p => p switch { Chars c => c.Text.Length, Bytes b => b.Raw.Length, _ => 1 });

    /// <summary>The bytes on the wire: UTF-8, a lone surrogate as its (invalid) three-byte form, raw bytes as they are.</summary>
    public byte[] ToBytes()
    {
        var bytes = new List<byte>();
        foreach (var piece in Pieces)
        {
            switch (piece)
            {
                case Chars c:
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.Text));
                    break;
                case Surrogate s:
                    bytes.Add((byte)(0xE0 | (s.Unit >> 12)));
                    bytes.Add((byte)(0x80 | ((s.Unit >> 6) & 0x3F)));
                    bytes.Add((byte)(0x80 | (s.Unit & 0x3F)));
                    break;
                case Bytes b:
                    bytes.AddRange(b.Raw);
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>The contents of a JSON string literal (without quotes); <paramref name="escapeNonAscii"/> writes <c>\uXXXX</c>.</summary>
    public byte[] ToJsonContent(bool escapeNonAscii)
    {
        var json = new List<byte>();
        foreach (var piece in Pieces)
        {
            switch (piece)
            {
                case Chars c:
                    foreach (var ch in c.Text)
                    {
                        if (ch is '"' or '\\')
                        {
                            json.Add((byte)'\\');
                            json.Add((byte)ch);
                        }
                        else if (ch < 0x20 || (escapeNonAscii && ch > 0x7E))
                        {
                            json.AddRange(Encoding.ASCII.GetBytes("\\u" + ((int)ch).ToString("x4", CultureInfo.InvariantCulture)));
                        }
                        else if (ch < 0x80)
                        {
                            json.Add((byte)ch);
                        }
                        else if (char.IsHighSurrogate(ch) || char.IsLowSurrogate(ch))
                        {
                            // A paired surrogate in the generated text: escaped, since halves cannot be encoded alone.
                            json.AddRange(Encoding.ASCII.GetBytes("\\u" + ((int)ch).ToString("x4", CultureInfo.InvariantCulture)));
                        }
                        else
                        {
                            json.AddRange(Encoding.UTF8.GetBytes(ch.ToString()));
                        }
                    }

                    break;
                case Surrogate s:
                    json.AddRange(Encoding.ASCII.GetBytes("\\u" + ((int)s.Unit).ToString("x4", CultureInfo.InvariantCulture)));
                    break;
                case Bytes b:
                    json.AddRange(b.Raw);
                    break;
            }
        }

        return [.. json];
    }

    /// <summary>Percent-encoded (everything but RFC 3986 unreserved characters), safe in a request line.</summary>
    public string ToPercentEncoded(bool spaceAsPlus = false)
    {
        var text = new StringBuilder();
        foreach (var b in ToBytes())
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                text.Append((char)b);
            }
            else if (b == (byte)' ' && spaceAsPlus)
            {
                text.Append('+');
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    /// <summary>Bytes back into pieces: valid UTF-8 runs as characters, the rest as raw bytes.</summary>
    public static HText FromBytes(byte[] bytes)
    {
        var pieces = new List<Piece>();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var start = 0;
        while (start < bytes.Length)
        {
            var end = start;
            while (end < bytes.Length)
            {
                var length = Utf8SequenceLength(bytes, end);
                if (length == 0)
                {
                    break;
                }

                end += length;
            }

            if (end > start)
            {
                pieces.Add(new Chars(strict.GetString(bytes, start, end - start)));
            }

            if (end < bytes.Length)
            {
                pieces.Add(new Bytes([bytes[end]]));
                end++;
            }

            start = end;
        }

        return new HText(pieces);
    }

    public override string ToString() => RawHttp.Printable(ToJsonContent(escapeNonAscii: true), 300);

    private static int Utf8SequenceLength(byte[] bytes, int at)
    {
        var length = bytes[at] switch
        {
            < 0x80 => 1,
            >= 0xC2 and <= 0xDF => 2,
            >= 0xE0 and <= 0xEF => 3,
            >= 0xF0 and <= 0xF4 => 4,
            _ => 0,
        };
        if (length == 0 || at + length > bytes.Length)
        {
            return 0;
        }

        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, at, length);
            return length;
        }
        catch (DecoderFallbackException)
        {
            return 0;
        }
    }
}

/// <summary>A JSON value as an attacker writes it, malformed or not.</summary>
public abstract record JValue
{
    public abstract void Write(List<byte> json);

    public byte[] ToBytes()
    {
        var json = new List<byte>();
        Write(json);
        return [.. json];
    }
}

public sealed record JString(HText Value, bool EscapeNonAscii) : JValue
{
    public override void Write(List<byte> json)
    {
        json.Add((byte)'"');
        json.AddRange(Value.ToJsonContent(EscapeNonAscii));
        json.Add((byte)'"');
    }
}

/// <summary>A number, literal (true/false/null) or any other token, written as given.</summary>
public sealed record JToken(string Text) : JValue
{
    public override void Write(List<byte> json) => json.AddRange(Encoding.UTF8.GetBytes(Text));
}

public sealed record JArray(IReadOnlyList<JValue> Items) : JValue
{
    public override void Write(List<byte> json)
    {
        json.Add((byte)'[');
        for (var i = 0; i < Items.Count; i++)
        {
            if (i > 0)
            {
                json.Add((byte)',');
            }

            Items[i].Write(json);
        }

        json.Add((byte)']');
    }
}

/// <summary>An object; member names may repeat, as JSON allows and parsers disagree on.</summary>
public sealed record JObject(IReadOnlyList<(JString Name, JValue Value)> Members) : JValue
{
    public override void Write(List<byte> json)
    {
        json.Add((byte)'{');
        for (var i = 0; i < Members.Count; i++)
        {
            if (i > 0)
            {
                json.Add((byte)',');
            }

            Members[i].Name.Write(json);
            json.Add((byte)':');
            Members[i].Value.Write(json);
        }

        json.Add((byte)'}');
    }
}
