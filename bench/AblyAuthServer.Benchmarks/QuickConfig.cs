using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace AblyAuthServer.Benchmarks;

/// <summary>
/// The default job for this project: short, but not ShortRun's 3 iterations, which gave ±100 % error on the 2-core
/// machine. 10 iterations of ≥ 150 ms keep the whole suite to about 3 minutes.
/// </summary>
public sealed class QuickConfig : ManualConfig
{
    public QuickConfig() =>
        AddJob(Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithIterationTime(TimeInterval.FromMilliseconds(150))
            .WithId("Quick"));
}
