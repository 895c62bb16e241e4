using System.Diagnostics;
using Confluent.Kafka.Admin;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// How CreateTopics and Metadata cost grows with the number of topics: a fresh standalone broker per size and run;
/// 10, 1,000 and 10,000 one-partition topics created through an admin client in CreateTopics requests of
/// <see cref="Batch"/> topics; then Metadata for every topic, and Metadata for one topic, each the median of
/// <see cref="Repeats"/> calls.
/// </summary>
public sealed class TopicScaleScenario : IScenario
{
    private const int Batch = 100;
    private const int Repeats = 5;

    public string Name => "scale-topics";

    public string Description => "CreateTopics and Metadata time with 10, 1,000, 10,000 topics";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        int[] sizes = context.Smoke ? [10, 100] : [10, 1000, 10_000];
        var create = new ScaleSeries("CreateTopics", "ms/topic", "topics", sizes);
        var all = new ScaleSeries("Metadata of all topics", "ms", "topics", sizes);
        var one = new ScaleSeries("Metadata of one topic", "ms", "topics", sizes);
        var rss = new ScaleSeries("broker RSS", "MiB", "topics", sizes);
        for (var run = 0; run < context.Runs; run++)
        {
            foreach (var topics in sizes)
            {
                var directory = context.NewDirectory($"scale-topics-{topics}");
                try
                {
                    await using var server = await BrokerServer.StartAsync(directory, flush: "durable", partitions: 1);
                    using var admin = Admin.Client(server.BootstrapServers);
                    var prefix = $"t{run}-{topics}-";
                    var names = Enumerable.Range(0, topics).Select(i => $"{prefix}{i:D5}").ToList();
                    var clock = Stopwatch.StartNew();
                    foreach (var chunk in names.Chunk(Batch))
                    {
                        await admin.CreateTopicsAsync(chunk.Select(n => new TopicSpecification { Name = n, NumPartitions = 1, ReplicationFactor = 1 }),
                            new CreateTopicsOptions { RequestTimeout = TimeSpan.FromMinutes(2), OperationTimeout = TimeSpan.FromMinutes(2) });
                    }

                    create.Add(topics, clock.Elapsed.TotalMilliseconds / topics);
                    all.Add(topics, Median(Repeats, () =>
                    {
                        var metadata = admin.GetMetadata(TimeSpan.FromMinutes(1));
                        if (metadata.Topics.Count < topics)
                        {
                            throw new InvalidOperationException($"Metadata listed {metadata.Topics.Count} topics, expected {topics}.");
                        }
                    }));
                    one.Add(topics, Median(Repeats, () => admin.GetMetadata(names[topics / 2], TimeSpan.FromSeconds(30))));
                    rss.Add(topics, server.ResidentBytes() / (1024.0 * 1024));
                    context.Log($"run {run + 1}/{context.Runs} {topics:N0} topics: create {create.Values(topics)[^1]:0.###} ms/topic, metadata all {all.Values(topics)[^1]:0.##} ms, one {one.Values(topics)[^1]:0.##} ms");
                }
                finally
                {
                    TryDelete(directory);
                }
            }
        }

        return create.Result(Name,
            $"1-partition topics created in requests of {Batch}, a fresh standalone broker (--flush durable) per size and run; Metadata: median of {Repeats} admin-client calls",
            context.Smoke, [all, one, rss],
            ["Metadata of all topics is an answer that grows with the topics, so linear is its expected shape; per topic it is flat when its slope is ≈ 1. The times include the admin client's own encoding and parsing."]);
    }

    private static double Median(int repeats, Action call)
    {
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            call();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        return Stats.Median(times);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
