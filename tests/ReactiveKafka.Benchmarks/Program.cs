using ReactiveKafka.Benchmarks;
using ReactiveKafka.Benchmarks.Core;

return await BenchmarkProgram.MainAsync(args);
