using AblyAuthServer.Benchmarks;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// `--filter '*'` runs everything; see bench/README.md. Results go to artifacts/benchmarks (git-ignored) unless --artifacts is given.
var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(Directory.GetCurrentDirectory(), "artifacts", "benchmarks"));
BenchmarkSwitcher.FromAssembly(typeof(AblyAuthServer.Benchmarks.MintingBenchmarks).Assembly).Run(args, config);
