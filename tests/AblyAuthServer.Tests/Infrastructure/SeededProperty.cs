using System.Globalization;
using System.Text;
using CsCheck;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// Runs a CsCheck generator as a fixed sequence of cases: case <c>i</c> is generated from its own
/// <see cref="PCG"/> seeded with <c>seed + i</c>, so one seed fixes the whole run and any single case replays alone
/// with <c>&lt;SEED VARIABLE&gt;=&lt;its seed&gt;</c> and <c>&lt;ITERATIONS VARIABLE&gt;=1</c>.
/// </summary>
/// <remarks>
/// CsCheck's own <c>Check.Sample</c> reuses a given seed for its first iteration only and draws the rest from a
/// time-seeded generator, so two runs with the same seed do not send the same requests; against a real server
/// (state, logs) a run must repeat exactly, hence this loop.
/// </remarks>
public sealed class SeededProperty(string name, string seedVariable, ulong defaultSeed, string iterationsVariable, int defaultIterations)
{
    public sealed record Generated<T>(ulong Seed, T Value);

    public string Name { get; } = name;

    public ulong Seed { get; } = Environment.GetEnvironmentVariable(seedVariable) is { Length: > 0 } seed
        ? ulong.Parse(seed, CultureInfo.InvariantCulture)
        : defaultSeed;

    public int Iterations { get; } = Environment.GetEnvironmentVariable(iterationsVariable) is { Length: > 0 } iterations
        ? int.Parse(iterations, CultureInfo.InvariantCulture)
        : defaultIterations;

    /// <summary>The command line that replays one case of this property.</summary>
    public string Replay(ulong caseSeed) =>
        $"{seedVariable}={caseSeed} {iterationsVariable}=1 dotnet test --project tests/AblyAuthServer.Tests -c Release -- --filter-method \"*{Name}\"";

    public IEnumerable<Generated<T>> Cases<T>(Gen<T> gen)
    {
        // The stream depends on the property, so two properties with the same seed still draw different cases.
        var stream = (uint)StableHash(Name);
        for (var i = 0; i < Iterations; i++)
        {
            var caseSeed = unchecked(Seed + (ulong)i);
            yield return new Generated<T>(caseSeed, gen.Generate(new PCG(stream, caseSeed), null!, out _));
        }
    }

    private static int StableHash(string text)
    {
        // string.GetHashCode is randomised per process; a replay needs the same stream in every process.
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked(hash * 31 + c);
        }

        return hash & int.MaxValue;
    }
}

/// <summary>
/// Failures of a property grouped by what failed, keeping the smallest example of each group, so one run reports
/// every distinct defect it met rather than the first one.
/// </summary>
public sealed class PropertyFailures(SeededProperty property)
{
    private readonly Dictionary<string, Entry> _groups = new(StringComparer.Ordinal);

    private sealed record Entry(int Count, ulong Seed, int Size, string Example);

    public bool IsEmpty => _groups.Count == 0;

    public int Count => _groups.Values.Sum(e => e.Count);

    /// <summary>Records one failure; <paramref name="size"/> picks the example printed for its group (smallest wins).</summary>
    public void Add(string group, ulong seed, int size, Func<string> example)
    {
        if (_groups.TryGetValue(group, out var entry))
        {
            _groups[group] = size < entry.Size
                ? new Entry(entry.Count + 1, seed, size, example())
                : entry with { Count = entry.Count + 1 };
        }
        else
        {
            _groups[group] = new Entry(1, seed, size, example());
        }
    }

    public string Report(int cases, string? extra = null)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{property.Name}: {Count} of {cases} generated cases failed (seed {property.Seed}), in {_groups.Count} distinct groups.");
        foreach (var (group, entry) in _groups.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"== {group} ({entry.Count} cases); smallest, case seed {entry.Seed}:");
            text.AppendLine(CultureInfo.InvariantCulture, $"   replay: {property.Replay(entry.Seed)}");
            text.AppendLine(entry.Example);
        }

        if (extra is not null)
        {
            text.AppendLine().AppendLine(extra);
        }

        return text.ToString();
    }
}
