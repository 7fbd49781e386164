namespace AblyAuthServer.Authentication;

/// <summary>
/// The one spelling of some bytes in base64url: the exact alphabet, no padding or whitespace, and zero bits after the
/// last byte. Decoders accept other spellings of the same bytes; a credential read from a client is kept (as a cache
/// key, or anywhere else) only in this one, so a client cannot mint distinct entries by re-spelling one credential.
/// </summary>
public static class CanonicalBase64Url
{
    public static bool IsCanonical(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || text.Length % 4 == 1)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        var last = Value(text[^1]);
        return (text.Length % 4) switch
        {
            2 => (last & 0b1111) == 0,
            3 => (last & 0b11) == 0,
            _ => true,
        };
    }

    private static int Value(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
