using System.Text;
using CsCheck;

namespace AblyAuthServer.Tests.Hostile;

/// <summary>
/// CsCheck generators of what an attacker sends the server. Sizes are bounded (bodies up to ~20 KB, headers under
/// Kestrel's limits most of the time) so a few hundred cases run in seconds.
/// </summary>
public sealed class HostileGenerators(string ownClientId, string basicUser, string basicPassword)
{
    private static readonly string[] KnownOperations =
    [
        "*", "publish", "subscribe", "presence", "history", "stats", "channel-metadata", "object-subscribe", "object-publish",
        "annotation-subscribe", "annotation-publish", "message-update-any", "message-update-own", "message-delete-any",
        "message-delete-own", "push-subscribe", "push-admin", "privileged-headers",
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private static readonly string[] KnownPaths =
    [
        "/auth/login", "/auth/logout", "/ably/token", "/ably/token-request", "/healthz", "/readyz", "/swagger/v1/swagger.json",
        "/demo", "/demo/", "/demo/demo.js", "/demo/vendor/ably.min.js",
    ];

    // ---- text ----

    private static Gen<HText.Piece> Piece { get; } = Gen.Frequency<HText.Piece>(
        (6, Gen.String[Gen.Char[' ', '~'], 1, 12].Select(s => (HText.Piece)new HText.Chars(s))),
        (3, Gen.String[Gen.Char["éèüñßøЖж漢字チャ€\u00a0\u200b\u2028\u2029\ufeff\ufffd\u0301"], 1, 6].Select(s => (HText.Piece)new HText.Chars(s))),
        (1, Gen.OneOf("😀", "𝔘", "🏳️‍🌈").Select(s => (HText.Piece)new HText.Chars(s))),
        (2, Gen.OneOf(Gen.Char['\0', '\x1f'], Gen.Const('\x7f'), Gen.Char['\x80', '\x9f']).Select(c => (HText.Piece)new HText.Chars(c.ToString()))),
        (2, Gen.OneOf(Gen.Char['\ud800', '\udbff'], Gen.Char['\udc00', '\udfff']).Select(c => (HText.Piece)new HText.Surrogate(c))),
        (2, Gen.OneOf<byte[]>([0xFF], [0xFE, 0xFF], [0xC0, 0xAF], [0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80])
            .Select(b => (HText.Piece)new HText.Bytes(b))));

    /// <summary>Any text: Unicode, control characters, lone surrogates, invalid UTF-8.</summary>
    public static Gen<HText> Text { get; } = Piece.Array[0, 6].Select(p => new HText(p));

    /// <summary>Long runs that push echoed text past header and field limits.</summary>
    public static Gen<HText> LongText { get; } =
        from length in Gen.Int[200, 6000]
        from c in Gen.Frequency((4, Gen.Char["aZ9-"]), (1, Gen.Const('é')))
        from tail in Gen.Frequency((1, Gen.Const(HText.Empty)), (1, Text))
        select new HText([new HText.Chars(new string(c, length)), .. tail.Pieces]);

    private static Gen<HText> AnyText { get; } = Gen.Frequency((8, Text), (1, LongText));

    private static Gen<HText> Plain(params string[] values) => Gen.OneOf(values).Select(HText.Of);

    // ---- Ably token parameters ----

    private static Gen<HText> Resource { get; } = Gen.Frequency(
        (4, Plain("*", "chat:*", "chat:lobby", "private:alice", "[*]*", "[queue]q", "[meta]*", "[*]chat:*", "chat:*:x", "foo*")),
        (2, Plain("", "[", "[bogus]x", ":x", "x:", "[*]", "[queue]:x", "[*][*]*", "[]x", "a\nb", "a\rb")),
        (2, Plain("élève", "チャット:*", "chat:日本", "x\u007f", "\u0001x", "a\tb", "chat:\u00a0")),
        (3, Text),
        (2, LongText));

    private static Gen<JValue> Operation { get; } = Gen.Frequency<JValue>(
        (5, Gen.OneOf(KnownOperations).Select(op => (JValue)new JString(HText.Of(op), false))),
        (2, Gen.OneOf("nope", "PUBLISH", "", " publish", "publish ", "*publish").Select(op => (JValue)new JString(HText.Of(op), false))),
        (1, Text.Select(t => (JValue)new JString(t, false))),
        (1, Gen.OneOf("1", "null", "true", "{}", "[]", "[\"publish\"]").Select(t => (JValue)new JToken(t))));

    private static Gen<JObject> CapabilityObject { get; } =
        (from resource in Resource
         from escape in Gen.Bool
         from operations in Gen.Frequency(
             (8, Operation.Array[0, 4].Select(ops => (JValue)new JArray(ops))),
             (1, Gen.OneOf("\"publish\"", "null", "{}", "1").Select(t => (JValue)new JToken(t))))
         select (new JString(resource, escape), operations)).Array[0, 4].Select(members => new JObject(members));

    /// <summary>A capability as the text of a query or form field, or a JSON string.</summary>
    public static Gen<HText> CapabilityText { get; } = Gen.Frequency(
        (6, CapabilityObject.Select(o => HText.FromBytes(o.ToBytes()))),
        (1, Plain("", "[]", "null", "{", "{\"chat:*\":", "{\"chat:*\":[\"publish\"]}{}", "{\"a\":{\"b\":{\"c\":{\"d\":[]}}}}")),
        (1, AnyText));

    private Gen<HText> ClientId => Gen.Frequency(
        (3, Plain(ownClientId, "*", "svc", "bob", ownClientId.ToUpperInvariant())),
        (2, Plain("a:b", "x,y", "[x]", "*x", "\0", " ", "\t", "", new string('c', 129))),
        (3, AnyText));

    private static Gen<HText> TtlText { get; } = Gen.Frequency(
        (4, Plain("1000", "3600000", "86400000", "-1", "0", "999", "1e3", "1.5", "-0", "99999999999999999999999999",
            "-99999999999999999999", "1e400", "0x10", " 1000", "1000 ", "１０００", "NaN", "Infinity", "+1000", "")),
        (1, Text));

    private static Gen<JValue> TtlJson { get; } = Gen.Frequency<JValue>(
        (3, Gen.OneOf("1000", "3600000", "-1", "0", "1e3", "1.5", "-0", "99999999999999999999999999", "1e400", "-1e400", "true", "null", "[]", "{}")
            .Select(t => (JValue)new JToken(t))),
        (2, TtlText.Select(t => (JValue)new JString(t, false))));

    // ---- credentials ----

    private static Gen<TokenMutation> Mutation { get; } = Gen.Frequency(
        (4, Gen.Const(TokenMutation.None)),
        (6, from kind in Gen.Int[1, 12] from a in Gen.Int[0, 1000] from b in Gen.Int[0, 1000] select new TokenMutation(kind, a, b)));

    private static Gen<SessionSource> Session { get; } = Gen.Frequency((3, Gen.Const(SessionSource.Alice)), (1, Gen.Const(SessionSource.Service)));

    private Gen<Credential> Basic => Gen.Frequency<Credential>(
        (3, from user in Gen.Frequency((3, Plain(basicUser, basicUser.ToUpperInvariant())), (1, Text))
            from password in Gen.Frequency((1, Plain(basicPassword)), (2, Secret), (1, Text))
            from separator in Gen.OneOf(":", ":", "", "::")
            from scheme in Gen.OneOf("Basic", "basic", "BASIC")
            select (Credential)new BasicCredential(scheme,
                HText.Of(Convert.ToBase64String([.. user.ToBytes(), .. Encoding.UTF8.GetBytes(separator), .. password.ToBytes()])),
                password.IsPlain ? password.Plain : null)),
        (2, from garbage in Gen.Frequency(
                (2, Plain("", "!!!", "YWxpY2U", "=====", "YWxpY2U6", "Og==", "OnBhc3N3b3Jk", "bWFsbG9yeTo=", "YWxpY2U6eA", "YW xp Y2U6eA==", "YWxp-Y2U_eA")),
                (1, Gen.Byte.Array[1, 40].Select(b => HText.Of(Convert.ToBase64String(b)))),
                (1, AnyText))
            select (Credential)new BasicCredential("Basic", garbage, null)));

    private Gen<Credential> Credential => Gen.Frequency<Credential>(
        (5, from scheme in Gen.OneOf("Bearer", "Bearer", "bearer", "BEARER", "Bearer ", "Bearer\t")
            from source in Session
            from mutation in Mutation
            select (Credential)new BearerCredential(scheme, source, mutation)),
        (3, from name in Gen.OneOf("ably_session", "ably_session", "ABLY_SESSION", "ably_session ", "ably-session")
            from source in Session
            from mutation in Mutation
            from before in Gen.OneOf("", "", "a=b; ", "ably_session=; ", "ably_session=x; ", "=; ", ";;; ")
            from after in Gen.OneOf("", "", "; c=d", ";", "; ably_session=garbage", "\"")
            select (Credential)new CookieCredential(name, source, mutation, before, after)),
        (2, Basic),
        (1, from value in Gen.Frequency(
                (2, Plain("Bearer", "Bearer ", "Basic", "Basic ", "Token abc", "Digest username=\"x\"", "Negotiate", "Bearer a b c", "Bearer ''")),
                (1, AnyText))
            select (Credential)new RawAuthorization(value)));

    private Gen<Credential[]> Credentials => Gen.Frequency((1, Gen.Const<Credential[]>([])), (5, Credential.Array[1, 1]), (1, Credential.Array[2, 2]));

    private Gen<Credential[]> MostlyValidSession => Gen.Frequency(
        (6, Session.Select(s => new Credential[] { new BearerCredential("Bearer", s, TokenMutation.None) })),
        (3, Session.Select(s => new Credential[] { new CookieCredential("ably_session", s, TokenMutation.None, "", "") })),
        (1, Gen.Const(new Credential[] { new BasicCredential("Basic", HText.Of(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{basicUser}:{basicPassword}"))), basicPassword) })),
        (3, Credentials));

    /// <summary>A password-like value long and distinctive enough that finding it in a response means it was echoed.</summary>
    private static Gen<HText> Secret { get; } = Gen.String[Gen.Char.AlphaNumeric, 12, 24].Select(s => HText.Of("pw-" + s));

    // ---- headers ----

    private static Gen<(string, HText)[]> ContentType(string natural) => Gen.Frequency(
        (6, Gen.Const<(string, HText)[]>([("Content-Type", HText.Of(natural))])),
        (4, Plain("application/json; charset=utf-8", "APPLICATION/JSON", "application/problem+json", "text/json", "application/json; charset=utf-16",
                "application/x-www-form-urlencoded; charset=ISO-8859-1", "Application/X-WWW-Form-Urlencoded", "multipart/form-data; boundary=x",
                "text/plain", "", ";;;", "application/json, application/x-www-form-urlencoded", "application/*", "*/*", "application/jsonx")
            .Select(v => new (string, HText)[] { ("Content-Type", v) })),
        (1, Text.Select(v => new (string, HText)[] { ("Content-Type", v) })),
        (1, Plain("application/json", "application/x-www-form-urlencoded", "text/plain")
            .Select(v => new (string, HText)[] { ("Content-Type", HText.Of(natural)), ("Content-Type", v) })),
        (1, Gen.Const<(string, HText)[]>([])));

    private static Gen<(string, HText)[]> Accept { get; } = Gen.Frequency(
        (5, Gen.Const<(string, HText)[]>([])),
        (4, Plain("*/*", "application/json", "application/json, text/plain", "application/problem+json", "text/plain", "text/html",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/jwt", "application/xml", "a/b;q=x",
                "application/json;q=0", "", "image/png")
            .Select(v => new (string, HText)[] { ("Accept", v) })),
        (1, Text.Select(v => new (string, HText)[] { ("Accept", v) })));

    private static Gen<(string, HText)> ExtraHeader { get; } = Gen.Frequency(
        (2, from value in Gen.Frequency((2, Plain("https://evil.example", "null", "http://127.0.0.1")), (1, Text)) select ("Origin", value)),
        (2, from value in Gen.Frequency((2, Plain("1.2.3.4", "garbage", "1.2.3.4, 5.6.7.8", "::1", "")), (1, Text)) select ("X-Forwarded-For", value)),
        (1, from value in Plain("https", "javascript", "", "http, https") select ("X-Forwarded-Proto", value)),
        (1, Gen.Const(("Expect", HText.Of("100-continue")))),
        (1, Gen.Const(("Access-Control-Request-Method", HText.Of("POST")))),
        (1, from value in Plain("gzip", "br", "identity", "x") select ("Content-Encoding", value)),
        (1, from value in Gen.Frequency((2, Plain("a=b", "=;;;", "ably_session", "ably_session=\"\"")), (1, Text)) select ("Cookie", value)),
        (2, from name in Gen.String[Gen.Char.AlphaNumeric, 1, 12] from value in Text select ("X-" + name, value)),
        (1, from length in Gen.Int[2000, 20000] select ("X-Big", HText.Of(new string('b', length)))));

    private static Gen<(string, HText)[]> Headers(string naturalContentType) =>
        from contentType in ContentType(naturalContentType)
        from accept in Accept
        from extra in Gen.Frequency(
            (12, ExtraHeader.Array[0, 3]),
            // Around Kestrel's header count limit (50 here): some requests are refused with 431 before the app runs.
            (1, Gen.Int[40, 55].Select(n => Enumerable.Range(0, n).Select(i => ($"X-Filler-{i}", HText.Of("x"))).ToArray())))
        select ((string, HText)[])[.. contentType, .. accept, .. extra];

    // ---- bodies ----

    private static Gen<JValue> AnyJson { get; } = Gen.Frequency<JValue>(
        (3, from text in AnyText from escape in Gen.Bool select (JValue)new JString(text, escape)),
        (2, Gen.OneOf("0", "-1", "1e400", "-1e400", "99999999999999999999999999999", "1.5", "true", "false", "null", "[]", "{}", "-0", "0.0000001")
            .Select(t => (JValue)new JToken(t))),
        (1, from depth in Gen.Int[1, 40] from array in Gen.Bool
            select (JValue)new JToken(array ? new string('[', depth) + "1" + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth))));

    private static Gen<(JString, JValue)> Member(string[] names, Func<string, Gen<JValue>> valueOf) =>
        from name in Gen.Frequency(
            (6, Gen.OneOf(names)),
            (1, Gen.OneOf(names).Select(n => n.ToUpperInvariant())),
            (1, Gen.OneOf("rnd", "", "__proto__", "constructor")))
        from weird in Gen.Frequency((9, Gen.Const((HText?)null)), (1, Text.Select(t => (HText?)t)))
        from escape in Gen.Bool
        from value in valueOf(name.ToLowerInvariant())
        select (new JString(weird ?? HText.Of(name), escape), value);

    private Gen<JValue> LoginValue(string field) => field switch
    {
        "username" => Gen.Frequency<JValue>(
            (4, from name in Gen.Frequency((3, Plain(basicUser, basicUser.ToUpperInvariant(), " " + basicUser)), (2, AnyText), (1, Plain("", new string('u', 257))))
                from escape in Gen.Bool
                select (JValue)new JString(name, escape)),
            (1, AnyJson)),
        "password" => Gen.Frequency<JValue>(
            (2, Gen.Const<JValue>(new JString(HText.Of(basicPassword), false))),
            (3, Secret.Select(s => (JValue)new JString(s, false))),
            (2, from text in Gen.Frequency((3, AnyText), (1, Plain("", new string('p', 1025)))) from escape in Gen.Bool select (JValue)new JString(text, escape)),
            (1, AnyJson)),
        _ => AnyJson,
    };

    private Gen<JValue> TokenValue(string field) => field switch
    {
        "clientid" => Gen.Frequency<JValue>((4, from id in ClientId from escape in Gen.Bool select (JValue)new JString(id, escape)), (1, AnyJson)),
        "capability" => Gen.Frequency<JValue>(
            (3, from text in CapabilityText from escape in Gen.Bool select (JValue)new JString(text, escape)),
            (3, CapabilityObject.Select(o => (JValue)o)),
            (1, AnyJson)),
        "ttl" => Gen.Frequency((4, TtlJson), (1, AnyJson)),
        _ => AnyJson,
    };

    private static Gen<(HText, HText)> FormField(string[] names, Func<string, Gen<HText>> valueOf) =>
        from name in Gen.Frequency((6, Gen.OneOf(names).Select(HText.Of)), (1, Text))
        from value in valueOf(name.Plain.ToLowerInvariant())
        select (name, value);

    private Gen<HText> LoginText(string field) => field switch
    {
        "username" => Gen.Frequency((3, Plain(basicUser, basicUser.ToUpperInvariant())), (2, AnyText)),
        "password" => Gen.Frequency((2, Plain(basicPassword)), (3, Secret), (2, AnyText)),
        _ => AnyText,
    };

    private Gen<HText> TokenText(string field) => field switch
    {
        "clientid" => ClientId,
        "capability" => CapabilityText,
        "ttl" => TtlText,
        _ => AnyText,
    };

    /// <summary>A JSON, form or garbage body, sometimes damaged, sometimes oversized, framed in one of several ways.</summary>
    private static Gen<BodySpec> Body(string[] names, Func<string, Gen<JValue>> jsonValue, Func<string, Gen<HText>> formValue) =>
        from kind in Gen.Frequency((5, Gen.Const("json")), (4, Gen.Const("form")), (1, Gen.Const("garbage")), (1, Gen.Const("empty")))
        from members in Member(names, jsonValue).Array[0, 5]
        from fields in FormField(names, formValue).Array[0, 5]
        from formStyle in Gen.Int[0, 3]
        from garbage in Gen.Frequency(
            (2, Plain("{", "}", "[1,2", "{\"username\":}", "{'username':'x'}", "{\"a\":1,}", "null", "\"text\"", "42", "{\"a\" 1}", "{}{}",
                "username=x&password", "%", "%zz=%e9", "&&&=&", "\u0000")),
            (1, AnyText))
        from damage in Gen.Frequency((7, Gen.Const(0)), (1, Gen.Int[1, 5]))
        from at in Gen.Int[0, 1000]
        from padding in Gen.Frequency((12, Gen.Const(0)), (1, Gen.Int[15_000, 20_000]))
        from framing in Gen.Frequency(
            (20, Gen.Const(Framing.ContentLength)), (2, Gen.Const(Framing.Chunked)), (1, Gen.Const(Framing.MalformedChunked)),
            (1, Gen.Const(Framing.ShortContentLength)), (1, Gen.Const(Framing.NoLength)), (1, Gen.Const(Framing.ConflictingContentLengths)))
        from cut in Gen.Int[1, 64]
        select MakeBody(kind, members, fields, formStyle, garbage, damage, at, padding, framing, cut);

    private static BodySpec MakeBody(
        string kind, (JString Name, JValue Value)[] members, (HText Name, HText Value)[] fields, int formStyle, HText garbage,
        int damage, int at, int padding, Framing framing, int cut)
    {
        var secrets = new List<string>();
        byte[] bytes;
        switch (kind)
        {
            case "json":
                var all = members.ToList();
                if (padding > 0)
                {
                    all.Add((new JString(HText.Of("pad"), false), new JString(HText.Of(new string('x', padding)), false)));
                }

                secrets.AddRange(members.Where(m => IsPassword(m.Name.Value)).Select(m => m.Value).OfType<JString>().Where(s => s.Value.IsPlain).Select(s => s.Value.Plain));
                bytes = new JObject(all).ToBytes();
                break;
            case "form":
                var form = new List<byte>();
                foreach (var (name, value) in fields.Append(padding > 0 ? (HText.Of("pad"), HText.Of(new string('x', padding))) : (HText.Empty, HText.Empty)))
                {
                    if (name.Length == 0 && value.Length == 0)
                    {
                        continue;
                    }

                    if (form.Count > 0)
                    {
                        form.AddRange(formStyle == 3 ? "&&"u8.ToArray() : "&"u8.ToArray());
                    }

                    if (value.IsPlain && IsPassword(name))
                    {
                        secrets.Add(value.Plain);
                    }

                    // Style 1 sends the raw bytes (what a careless client or an attacker writes), the rest percent-encode.
                    form.AddRange(formStyle == 1 ? name.ToBytes() : Encoding.ASCII.GetBytes(name.ToPercentEncoded()));
                    if (formStyle != 2 || value.Length > 0)
                    {
                        form.Add((byte)'=');
                    }

                    form.AddRange(formStyle == 1 ? value.ToBytes() : Encoding.ASCII.GetBytes(value.ToPercentEncoded(spaceAsPlus: true)));
                }

                bytes = [.. form];
                break;
            case "garbage":
                bytes = garbage.ToBytes();
                break;
            default:
                bytes = [];
                break;
        }

        if (bytes.Length > 0 && damage > 0)
        {
            var position = at % bytes.Length;
            bytes = damage switch
            {
                1 => bytes[..position],
                2 => [.. bytes[..position], 0xFF, .. bytes[position..]],
                3 => [0xEF, 0xBB, 0xBF, .. bytes],
                4 => [.. bytes, .. "}}}]]"u8.ToArray()],
                _ => [.. bytes.Select(b => b == (byte)'"' ? (byte)'\'' : b)],
            };
        }

        return new BodySpec(bytes, framing, cut, secrets, kind);
    }

    private static bool IsPassword(HText name) => name.IsPlain && name.Plain.Equals("password", StringComparison.OrdinalIgnoreCase);

    private Gen<BodySpec> LoginBody => Body(["username", "password"], LoginValue, LoginText);

    private Gen<BodySpec> TokenBody => Body(["clientId", "capability", "ttl"], TokenValue, TokenText);

    private Gen<BodySpec> AnyBody => Gen.OneOf(LoginBody, TokenBody);

    // ---- targets ----

    private static Gen<string> PathVariant(Gen<string> path) =>
        from p in path
        from variant in Gen.Frequency((12, Gen.Const(0)), (1, Gen.Int[1, 7]))
        from flip in Gen.Int[0, 100]
        select variant switch
        {
            1 => new string(p.Select((c, i) => (i + flip) % 3 == 0 ? char.ToUpperInvariant(c) : c).ToArray()),
            2 => p + "/",
            3 => "/" + p,
            4 => p.Length > 2 ? p[..^1] + "%" + ((int)p[^1]).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) : p,
            5 => p.Replace("/", "/./", StringComparison.Ordinal),
            6 => p + "/..%2f..%2fappsettings.json",
            7 => p + ";x=1",
            _ => p,
        };

    private static Gen<string> AnyPath { get; } = Gen.Frequency(
        (8, PathVariant(Gen.OneOf(KnownPaths))),
        (1, Gen.OneOf("/", "/ably", "/auth", "/ably/tokens", "/metrics", "/swagger", "/swagger/index.html", "/demo/index.html", "/demo/../appsettings.json", "/.env")),
        (1, Text.Select(t => "/" + t.ToPercentEncoded())));

    private Gen<(HText, HText)[]> Query => Gen.Frequency(
        (3, Gen.Const<(HText, HText)[]>([])),
        (4, (from name in Gen.Frequency((6, Gen.OneOf("capability", "clientId", "ttl", "rnd", "CAPABILITY", "clientid")), (1, Gen.Const("")))
             from value in name.ToLowerInvariant() switch
             {
                 "capability" => CapabilityText,
                 "clientid" => ClientId,
                 "ttl" => TtlText,
                 _ => Text,
             }
             select (HText.Of(name), value)).Array[1, 4]),
        (1, from name in Text from value in Text select new[] { (name, value) }));

    private static Gen<int> QueryStyle { get; } = Gen.Frequency((12, Gen.Const(0)), (2, Gen.Const(2)), (1, Gen.Const(1)));

    // ---- requests ----

    /// <summary>Login and logout: credentials in every form and shape of body.</summary>
    public Gen<HostileRequest> Sessions =>
        from path in Gen.Frequency((4, PathVariant(Gen.Const("/auth/login"))), (2, PathVariant(Gen.Const("/auth/logout"))))
        from method in Gen.Frequency((8, Gen.Const("POST")), (1, Gen.OneOf(Methods)))
        from credentials in Gen.Frequency((3, Gen.Const<Credential[]>([])), (2, Credentials))
        from body in LoginBody
        let contentType = body.Kind == "form" ? "application/x-www-form-urlencoded" : "application/json"
        from headers in Headers(contentType)
        select new HostileRequest(method, "HTTP/1.1", path, [], 0, false, credentials, headers, body);

    /// <summary>The token endpoints: mostly a valid session, with hostile token parameters in the query and body.</summary>
    public Gen<HostileRequest> Tokens =>
        from path in Gen.Frequency((9, Gen.OneOf("/ably/token", "/ably/token-request")), (1, PathVariant(Gen.OneOf("/ably/token", "/ably/token-request"))))
        from method in Gen.Frequency((5, Gen.Const("GET")), (5, Gen.Const("POST")), (1, Gen.OneOf(Methods)))
        from credentials in MostlyValidSession
        from query in Query
        from queryStyle in QueryStyle
        from body in Gen.Frequency((1, Gen.Const((BodySpec?)null)), (3, TokenBody.Select(b => (BodySpec?)b)))
        let contentType = body?.Kind == "form" ? "application/x-www-form-urlencoded" : "application/json"
        from headers in Headers(contentType)
        select new HostileRequest(method, "HTTP/1.1", path, query, queryStyle, false, credentials, headers, method == "GET" && body?.Kind == "empty" ? null : body);

    /// <summary>Every path (known, varied, unknown) with every method and any mix of the above.</summary>
    public Gen<HostileRequest> Anything =>
        from path in AnyPath
        from method in Gen.Frequency((12, Gen.OneOf(Methods)), (1, Gen.OneOf("TRACE", "get", "FOO", "PROPFIND")))
        from version in Gen.Frequency((12, Gen.Const("HTTP/1.1")), (1, Gen.Const("HTTP/1.0")))
        from absolute in Gen.Frequency((12, Gen.Const(false)), (1, Gen.Const(true)))
        from credentials in Credentials
        from query in Query
        from queryStyle in QueryStyle
        from body in Gen.Frequency((2, Gen.Const((BodySpec?)null)), (3, AnyBody.Select(b => (BodySpec?)b)))
        let contentType = body?.Kind == "form" ? "application/x-www-form-urlencoded" : "application/json"
        from headers in Headers(contentType)
        select method == "OPTIONS" && path == "/"
            ? new HostileRequest(method, version, "*", [], 0, false, credentials, headers, null)
            : new HostileRequest(method, version, path, query, queryStyle, absolute, credentials, headers, body);
}
