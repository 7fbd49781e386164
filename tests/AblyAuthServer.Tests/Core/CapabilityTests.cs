using System.Text.RegularExpressions;
using AblyAuthServer.Ably;

namespace AblyAuthServer.Tests.Core;

public sealed class CapabilityTests
{
    [Theory]
    [InlineData(null, "capability is empty")]
    [InlineData("", "capability is empty")]
    [InlineData("  ", "capability is empty")]
    [InlineData("not json", "capability is not valid JSON")]
    [InlineData("""{"chat:*":["publish"],}""", "capability is not valid JSON")]
    [InlineData("""{"chat:*":["publish"]""", "capability is not valid JSON")]
    [InlineData("""["publish"]""", "capability must be a JSON object of resource → array of operations")]
    [InlineData("\"{}\"", "capability must be a JSON object of resource → array of operations")]
    [InlineData("null", "capability must be a JSON object of resource → array of operations")]
    [InlineData("{}", "capability grants no resource")]
    [InlineData("""{"chat:*":"publish"}""", "capability resource 'chat:*' must map to an array of operations")]
    [InlineData("""{"chat:*":{"publish":true}}""", "capability resource 'chat:*' must map to an array of operations")]
    [InlineData("""{"chat:*":[1]}""", "capability resource 'chat:*' has an operation that is not a string")]
    [InlineData("""{"chat:*":[null]}""", "capability resource 'chat:*' has an operation that is not a string")]
    [InlineData("""{"chat:*":[["publish"]]}""", "capability resource 'chat:*' has an operation that is not a string")]
    [InlineData("""{"chat:*":["publish","fly"]}""", "capability resource 'chat:*' has an unknown operation 'fly'")]
    [InlineData("""{"chat:*":["Publish"]}""", "capability resource 'chat:*' has an unknown operation 'Publish'")]
    [InlineData("""{"":["publish"]}""", "a resource pattern is empty")]
    [InlineData("""{"chat:*":[]}""", "capability resource 'chat:*' has no operations")]
    [InlineData("""{"[?rewind=1]chat":["subscribe"]}""", "resource '[?rewind=1]chat' has an unsupported qualifier: only [*], [queue] and [meta] are accepted")]
    [InlineData("""{"chat:*":["subscribe"],"chat:":["subscribe"]}""", "resource 'chat:' ends with ':'")]
    public void Malformed_Capability_Is_Rejected_With_A_Precise_Error(string? json, string expectedError)
    {
        // Act
        var parsed = Capability.TryParse(json, out var capability, out var error);

        // Assert
        Assert.False(parsed);
        Assert.Null(capability);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void Deeply_Nested_Json_Is_Rejected_As_Invalid()
    {
        // Act
        var parsed = Capability.TryParse("""{"a":[[[[["publish"]]]]]}""", out var capability, out var error);

        // Assert
        Assert.False(parsed);
        Assert.Null(capability);
        Assert.Equal("capability is not valid JSON", error);
    }

    [Fact]
    public void Every_Known_Operation_Is_Accepted()
    {
        // Arrange
        var operations = CapabilityOperations.Known.Where(op => op != CapabilityOperations.All).Order(StringComparer.Ordinal).ToList();
        var json = "{\"chat:*\":[" + string.Join(',', operations.Select(op => $"\"{op}\"")) + "]}";

        // Act
        var capability = Parse(json);

        // Assert
        Assert.Equal(17, operations.Count);
        Assert.Equal(
            """{"chat:*":["annotation-publish","annotation-subscribe","channel-metadata","history","message-delete-any","message-delete-own","message-update-any","message-update-own","object-publish","object-subscribe","presence","privileged-headers","publish","push-admin","push-subscribe","stats","subscribe"]}""",
            capability.ToJson());
    }

    [Fact]
    public void Canonical_Json_Sorts_Resources_And_Operations_And_Drops_Whitespace()
    {
        // Arrange
        const string json = """
            {
              "private" : [ "subscribe", "publish", "presence" ],
              "*": ["subscribe"],
              "chat:lobby": ["history", "annotation-publish", "history"]
            }
            """;

        // Act
        var capability = Parse(json);

        // Assert
        Assert.Equal(
            """{"*":["subscribe"],"chat:lobby":["annotation-publish","history"],"private":["presence","publish","subscribe"]}""",
            capability.ToJson());
        Assert.Equal(capability.ToJson(), capability.ToString());
    }

    [Fact]
    public void Resources_Sort_By_Utf16_Code_Unit_Like_JavaScript()
    {
        // Arrange: 'B' < 'a' < 'b' < 'é' (U+00E9) < '😀' (high surrogate U+D83D) < '！' (U+FF01).
        const string json = """{"！":["publish"],"😀":["publish"],"é":["publish"],"b":["publish"],"a":["publish"],"B":["publish"]}""";

        // Act
        var capability = Parse(json);

        // Assert
        Assert.Equal(
            """{"B":["publish"],"a":["publish"],"b":["publish"],"é":["publish"],"😀":["publish"],"！":["publish"]}""",
            capability.ToJson());
        Assert.Equal(["B", "a", "b", "é", "😀", "！"], capability.Grants.Select(g => g.Key));
    }

    [Fact]
    public void Star_Absorbs_Every_Other_Operation()
    {
        // Act
        var capability = Parse("""{"chat:*":["publish","*","subscribe"],"alerts":["subscribe"]}""");

        // Assert
        Assert.Equal("""{"alerts":["subscribe"],"chat:*":["*"]}""", capability.ToJson());
    }

    [Fact]
    public void Json_Escaping_Matches_Json_Stringify()
    {
        // Arrange: quote, backslash, short escapes, other control characters, DEL, non-ASCII, U+2028.
        const string json = "{\"q\\\"u\\\\o\\u0001\\u001F\\b\\f\\t\\u007f\u00e9\u20ac\U0001F600\\u2028\\u0041\":[\"publish\"]}";

        // Act
        var capability = Parse(json);

        // Assert
        Assert.Equal("{\"q\\\"u\\\\o\\u0001\\u001f\\b\\f\\t\u007f\u00e9\u20ac\U0001F600\u2028A\":[\"publish\"]}", capability.ToJson());
    }

    [Fact]
    public void Lone_Surrogates_Are_Written_As_Lowercase_Unicode_Escapes()
    {
        // Arrange
        var builder = new Capability.Builder();
        Assert.True(builder.TryAdd("a\ud800b\udc00", ["publish"], out var error), error);

        // Act
        var json = builder.Build().ToJson();

        // Assert
        Assert.Equal("{\"a\\ud800b\\udc00\":[\"publish\"]}", json);
    }

    [Theory]
    [InlineData("""{"\ud800":["publish"]}""")]
    [InlineData("""{"chat:\udc00x":["publish"]}""")]
    [InlineData("""{"chat:*":["\ud800"]}""")]
    public void Unpaired_Surrogate_Escape_In_Input_Is_Rejected_Instead_Of_Throwing(string json)
    {
        // Act
        var parsed = Capability.TryParse(json, out var capability, out var error);

        // Assert
        Assert.False(parsed);
        Assert.Null(capability);
        Assert.Equal("capability contains an unpaired UTF-16 surrogate escape", error);
    }

    [Fact]
    public void Duplicate_Resources_Merge_Their_Operations()
    {
        // Act
        var capability = Parse("""{"chat:*":["publish"],"chat:*":["subscribe"]}""");

        // Assert
        Assert.Equal("""{"chat:*":["publish","subscribe"]}""", capability.ToJson());
    }

    [Fact]
    public void Empty_Capability_Is_Empty_And_Serialises_As_An_Empty_Object()
    {
        // Act
        var empty = Capability.Empty;

        // Assert
        Assert.True(empty.IsEmpty);
        Assert.Equal("{}", empty.ToJson());
        Assert.Empty(empty.Grants);
    }

    [Theory]
    [InlineData("""{"chat:*":["publish","subscribe"]}""", """{"chat:lobby":["subscribe"]}""", """{"chat:lobby":["subscribe"]}""")]
    [InlineData("""{"chat:lobby":["publish","subscribe"]}""", """{"chat:*":["subscribe"]}""", """{"chat:lobby":["subscribe"]}""")]
    [InlineData("""{"chat:lobby":["publish","subscribe"]}""", """{"*":["*"]}""", """{"chat:lobby":["publish","subscribe"]}""")]
    [InlineData("""{"ns:*":["subscribe"]}""", """{"ns:a":["subscribe"],"ns:a:b":["subscribe"],"ns":["subscribe"]}""", """{"ns:a":["subscribe"],"ns:a:b":["subscribe"]}""")]
    [InlineData("""{"foo:*:baz":["publish"]}""", """{"foo:bar:baz":["publish"],"foo:bar:bam:baz":["publish"]}""", """{"foo:bar:baz":["publish"]}""")]
    [InlineData("""{"foo*":["publish"]}""", """{"foo*":["publish"],"foobar":["publish"],"foo:bar":["publish"]}""", """{"foo*":["publish"]}""")]
    [InlineData("""{"*":["*"]}""", """{"[queue]x":["*"],"[meta]x":["*"],"x":["publish"]}""", """{"x":["publish"]}""")]
    [InlineData("""{"[*]*":["*"]}""", """{"[queue]x":["publish"],"[meta]x":["subscribe"],"x":["history"]}""", """{"[meta]x":["subscribe"],"[queue]x":["publish"],"x":["history"]}""")]
    [InlineData("""{"[*]*":["subscribe"]}""", """{"*":["*"]}""", """{"*":["subscribe"]}""")]
    [InlineData("""{"*":["*"]}""", """{"[*]*":["*"]}""", """{"*":["*"]}""")]
    [InlineData("""{"a":["publish","subscribe","presence"]}""", """{"a":["subscribe","history","presence"]}""", """{"a":["presence","subscribe"]}""")]
    [InlineData("""{"a":["*"]}""", """{"a":["publish","history"]}""", """{"a":["history","publish"]}""")]
    [InlineData("""{"a":["publish","history"]}""", """{"a":["*"]}""", """{"a":["history","publish"]}""")]
    [InlineData("""{"a":["*"]}""", """{"a":["*"]}""", """{"a":["*"]}""")]
    [InlineData("""{"chat:*":["publish"],"*":["subscribe"]}""", """{"chat:lobby":["*"]}""", """{"chat:lobby":["publish","subscribe"]}""")]
    [InlineData("""{"chat:*":["publish"],"*":["subscribe"]}""", """{"chat:*":["*"]}""", """{"chat:*":["publish","subscribe"]}""")]
    public void Intersection_Keeps_Exactly_What_Both_Sides_Allow(string allowed, string requested, string expected)
    {
        // Arrange
        var allowedCapability = Parse(allowed);
        var requestedCapability = Parse(requested);

        // Act
        var granted = allowedCapability.Intersect(requestedCapability);

        // Assert
        Assert.False(granted.IsEmpty);
        Assert.Equal(expected, granted.ToJson());
    }

    [Theory]
    [InlineData("""{"chat:*":["publish"]}""", """{"private":["publish"]}""")]
    [InlineData("""{"chat:*":["publish"]}""", """{"chat:lobby":["subscribe"]}""")]
    [InlineData("""{"ns:*":["*"]}""", """{"ns":["*"]}""")]
    [InlineData("""{"*":["*"]}""", """{"[queue]x":["*"],"[meta]*":["*"]}""")]
    [InlineData("""{"foo*":["*"]}""", """{"foo:bar":["*"]}""")]
    public void Disjoint_Capabilities_Intersect_To_Empty(string allowed, string requested)
    {
        // Act
        var granted = Parse(allowed).Intersect(Parse(requested));

        // Assert
        Assert.True(granted.IsEmpty);
        Assert.Equal("{}", granted.ToJson());
    }

    [Fact]
    public void Docs_Worked_Example_Intersects_As_Documented()
    {
        // Arrange
        var key = Parse("""{"your-namespace:*":["publish","subscribe","presence"],"notifications":["subscribe","history"],"alerts":["subscribe"]}""");
        var requested = Parse("""{"your-namespace:user-123":["subscribe"],"notifications":["*"],"private":["publish","subscribe"]}""");

        // Act
        var granted = key.Intersect(requested);

        // Assert
        Assert.Equal("""{"notifications":["history","subscribe"],"your-namespace:user-123":["subscribe"]}""", granted.ToJson());
    }

    [Fact]
    public void Random_Intersections_Grant_Exactly_What_Both_Sides_Allow_And_Never_More_Than_Allowed()
    {
        // Arrange
        var random = new Random(20261101);
        var channels = ConcreteChannels();
        string[] operations = ["publish", "subscribe", "presence", "history"];
        var widened = new List<string>();
        var lost = new List<string>();

        for (var iteration = 0; iteration < 3000 && widened.Count + lost.Count < 10; iteration++)
        {
            var allowedJson = RandomCapabilityJson(random);
            var requestedJson = RandomCapabilityJson(random);
            var allowed = Parse(allowedJson);
            var requested = Parse(requestedJson);

            // Act
            var granted = allowed.Intersect(requested);
            var grantedGrants = granted.Grants.ToList();
            var allowedGrants = allowed.Grants.ToList();
            var requestedGrants = requested.Grants.ToList();

            // Assert (collected, so a failure reports the first few counterexamples)
            foreach (var channel in channels)
            {
                foreach (var operation in operations)
                {
                    var inGrant = Permits(grantedGrants, channel, operation);
                    var inAllowed = Permits(allowedGrants, channel, operation);
                    var inRequested = Permits(requestedGrants, channel, operation);
                    if (inGrant && !(inAllowed && inRequested))
                    {
                        widened.Add($"{allowedJson} ∩ {requestedJson} = {granted.ToJson()} grants {operation} on {channel}");
                    }
                    else if (!inGrant && inAllowed && inRequested)
                    {
                        lost.Add($"{allowedJson} ∩ {requestedJson} = {granted.ToJson()} lacks {operation} on {channel}");
                    }
                }
            }
        }

        Assert.Empty(widened);
        Assert.Empty(lost);
    }

    private static readonly Dictionary<(string Pattern, string Channel), bool> CoversCache = [];

    // Independent of ResourcePattern: Ably's documented wildcard rules as a regular expression over a concrete channel.
    private static bool Covers(string pattern, string channel)
    {
        lock (CoversCache)
        {
            if (!CoversCache.TryGetValue((pattern, channel), out var covers))
            {
                covers = ComputeCovers(pattern, channel);
                CoversCache[(pattern, channel)] = covers;
            }

            return covers;
        }
    }

    private static bool ComputeCovers(string pattern, string channel)
    {
        var qualifier = string.Empty;
        var name = pattern;
        if (pattern.StartsWith('['))
        {
            var close = pattern.IndexOf(']', StringComparison.Ordinal);
            qualifier = pattern[..(close + 1)];
            name = pattern[(close + 1)..];
        }

        var channelQualifier = channel.StartsWith('[') ? channel[..(channel.IndexOf(']', StringComparison.Ordinal) + 1)] : string.Empty;
        var channelName = channel[channelQualifier.Length..];
        if (qualifier != "[*]" && qualifier != channelQualifier)
        {
            return false;
        }

        var segments = name.Split(':');
        var regex = string.Join(':', segments.Select((segment, i) =>
            segment != "*" ? Regex.Escape(segment) : i == segments.Length - 1 ? "[^:]+(?::[^:]+)*" : "[^:]+"));
        return Regex.IsMatch(channelName, "^" + regex + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static bool Permits(List<KeyValuePair<string, IReadOnlyCollection<string>>> grants, string channel, string operation) =>
        grants.Any(g => Covers(g.Key, channel) && (g.Value.Contains(operation) || g.Value.Contains("*")));

    private static List<string> ConcreteChannels()
    {
        string[] segments = ["a", "b", "c"];
        var names = new List<string>();
        var current = new List<string> { string.Empty };
        for (var length = 1; length <= 4; length++)
        {
            current = [.. current.SelectMany(prefix => segments.Select(s => prefix.Length == 0 ? s : prefix + ":" + s))];
            names.AddRange(current);
        }

        names.Add("a*");
        return [.. names, .. names.Select(n => "[queue]" + n), .. names.Select(n => "[meta]" + n)];
    }

    private static string RandomCapabilityJson(Random random)
    {
        string[] qualifiers = ["", "", "", "", "[*]", "[queue]", "[meta]"];
        string[] segments = ["a", "b", "*", "*"];
        string[] operations = ["publish", "subscribe", "presence", "history", "*"];
        var entries = new List<string>();
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var length = random.Next(1, 4);
            var name = random.Next(20) == 0
                ? "a*"
                : string.Join(':', Enumerable.Range(0, length).Select(_ => segments[random.Next(segments.Length)]));
            var resource = qualifiers[random.Next(qualifiers.Length)] + name;
            var ops = operations.Where(_ => random.Next(3) == 0).DefaultIfEmpty(operations[random.Next(operations.Length)]);
            entries.Add($"\"{resource}\":[{string.Join(',', ops.Select(op => $"\"{op}\""))}]");
        }

        return "{" + string.Join(',', entries) + "}";
    }

    private static Capability Parse(string json)
    {
        Assert.True(Capability.TryParse(json, out var capability, out var error), error);
        return capability!;
    }
}
