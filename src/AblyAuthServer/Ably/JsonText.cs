using System.Globalization;
using System.Text;

namespace AblyAuthServer.Ably;

/// <summary>JSON string escaping exactly as JavaScript's <c>JSON.stringify</c> does it, so MACs match ably-js.</summary>
public static class JsonText
{
    /// <summary>The value as the inside of a JSON string: what <see cref="AppendString"/> writes between the quotes.</summary>
    public static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        AppendString(builder, value);
        return builder.ToString(1, builder.Length - 2);
    }

    public static void AppendString(StringBuilder builder, string value)
    {
        builder.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20 || IsLoneSurrogate(value, i))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }

    private static bool IsLoneSurrogate(string value, int i)
    {
        var c = value[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]);
        }

        return char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(value[i - 1]));
    }
}
