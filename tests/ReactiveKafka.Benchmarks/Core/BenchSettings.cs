namespace ReactiveKafka.Benchmarks.Core;

/// <summary>The command line: which scenarios, how many runs, sizes, where to write JSON.</summary>
public sealed record BenchSettings
{
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    /// <summary>Runs per side (each run of side A is followed by one of side B).</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Overrides the record count of the record-count scenarios (null: each scenario's default).</summary>
    public int? Records { get; init; }

    public string? JsonFile { get; init; }

    /// <summary>Tiny sizes, one run: checks that everything works, times mean nothing.</summary>
    public bool Smoke { get; init; }

    /// <summary>The record count to use: --records, else the smoke size, else the scenario's full default.</summary>
    public int Count(int fullDefault, int smoke = 300) => Records ?? (Smoke ? smoke : fullDefault);

    /// <summary>A size that is not a record count: the smoke value or the full value.</summary>
    public T Size<T>(T full, T smoke) => Smoke ? smoke : full;

    public const string Usage = """
        Usage: dotnet run -c Release --project tests/ReactiveKafka.Benchmarks -- <scenario|all> [scenario ...] [--runs N] [--records N] [--json FILE] [--smoke]

          scenarios: sender receiver broker-produce broker-consume large-records latency trickle receiver-memory broker-memory recovery cleaner
                     state-log-compaction idempotent-produce idempotent-produce-os broker-transactions broker-transactions-os
                     sender-telemetry receiver-telemetry sender-sampled receiver-sampled sender-switch receiver-switch telemetry-off-path eos-vs-at-least-once eos-vs-confluent tls-handshake
                     end-to-end scale-partitions scale-connections scale-topics scale-log scale-footprint scale-receiver-partitions scale-long-polls
          --runs N     runs of each side, alternated A, B, A, B ... (default 3; --smoke: 1)
          --records N  record count of the record-count scenarios (default: per scenario, see the table)
          --json FILE  also write the results as JSON
          --smoke      every scenario tiny, one run: checks that the harness works (exit 0), times mean nothing
        """;

    public static BenchSettings Parse(string[] args)
    {
        var scenarios = new List<string>();
        int? runs = null;
        int? records = null;
        string? json = null;
        var smoke = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            int Int() => int.TryParse(Value(), out var v) && v > 0 ? v : throw new ArgumentException($"{arg} needs a positive whole number, got '{args[i]}'.");
            switch (arg)
            {
                case "--runs": runs = Int(); break;
                case "--records": records = Int(); break;
                case "--json": json = Value(); break;
                case "--smoke": smoke = true; break;
                case "-h" or "--help": throw new HelpRequested();
                default:
                    if (arg.StartsWith('-'))
                    {
                        throw new ArgumentException($"Unknown option '{arg}'.");
                    }

                    scenarios.Add(arg);
                    break;
            }
        }

        if (scenarios.Count == 0)
        {
            throw new ArgumentException("Name a scenario or 'all'.");
        }

        return new BenchSettings
        {
            Scenarios = scenarios,
            Runs = runs ?? (smoke ? 1 : 3),
            Records = records,
            JsonFile = json,
            Smoke = smoke,
        };
    }

    public sealed class HelpRequested : Exception;
}
