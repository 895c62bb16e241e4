using System.Diagnostics;
using Confluent.Kafka;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// Transactional produce (transactions of 100 records: BeginTransaction, 100 × Produce, CommitTransaction) vs plain
/// produce, into the same standalone bundled broker, acks=all, 100 B records, the same raw producer settings. Run once
/// per flush policy: <c>durable</c> (the broker's default) and <c>os</c> (Apache Kafka's default: no fsync per request).
/// </summary>
/// <param name="flush">The server's <c>--flush</c> policy: <c>durable</c> or <c>os</c>.</param>
public sealed class TransactionalProduceScenario(string flush) : IScenario
{
    private const int ValueSize = 100;
    private const int TransactionSize = 100;
    private const int Partitions = 4;

    public string Name => flush == "durable" ? "broker-transactions" : $"broker-transactions-{flush}";

    public string Description => $"transactional produce in transactions of 100 records vs plain produce, bundled broker (--flush {flush})";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var count = context.Settings.Count(200_000, smoke: 2_000);
        count -= count % TransactionSize;
        await using var server = await BrokerServer.StartAsync(context.NewDirectory(Name), flush: flush, partitions: Partitions);
        var value = Clients.Payload(ValueSize);

        // quickFlush: wait for the transaction's deliveries with Flush(1 ms) calls before CommitTransaction. The flush inside
        // CommitTransaction (rd_kafka_flush) polls in 10 ms steps, and Confluent.Kafka's own poll thread takes the delivery
        // reports, so each commit waits up to 10 ms after its last delivery: that alone caps sequential transactions
        // at about 100 per second, whatever the broker. With nothing left to deliver, CommitTransaction sends EndTxn at once.
        Task<double> Transactional(string bootstrap, int records, bool quickFlush) => Task.Run(() =>
        {
            var topic = Clients.Topic("txn");
            var config = Clients.ProducerConfig(bootstrap);
            config.TransactionalId = "bench-" + Guid.NewGuid().ToString("N");
            using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
            producer.InitTransactions(TimeSpan.FromSeconds(30));
            var message = new Message<Null, byte[]> { Value = value };
            var clock = Stopwatch.StartNew();
            for (var sent = 0; sent < records; sent += TransactionSize)
            {
                producer.BeginTransaction();
                for (var i = 0; i < TransactionSize; i++)
                {
                    producer.Produce(new TopicPartition(topic, (sent + i) % Partitions), message);
                }

                if (quickFlush)
                {
                    while (producer.Flush(TimeSpan.FromMilliseconds(1)) > 0)
                    {
                    }
                }

                // CommitTransaction flushes the transaction's records first and fails if any delivery failed.
                producer.CommitTransaction(TimeSpan.FromSeconds(60));
            }

            return records / clock.Elapsed.TotalSeconds;
        });

        Task<double> Plain(string bootstrap, int records) => Task.Run(() =>
        {
            var topic = Clients.Topic("plain");
            using var producer = new ProducerBuilder<Null, byte[]>(Clients.ProducerConfig(bootstrap)).Build();
            return records / Clients.ProduceAll(producer, topic, records, value, Partitions).TotalSeconds;
        });

        var (a, b, ratios) = await context.AlternateAsync(
            "transactional", _ => Transactional(server.BootstrapServers, count, quickFlush: true), "plain", _ => Plain(server.BootstrapServers, count), warmups: context.Smoke ? 0 : 1);

        // As commonly written (CommitTransaction right after the last Produce), on this broker; then the client's own
        // ceiling: the same loops against librdkafka's in-process mock cluster, which writes nothing to disk (it keeps
        // about 5 MiB per partition, so fewer records).
        var naive = new double[context.Runs];
        for (var i = 0; i < context.Runs; i++)
        {
            naive[i] = await Transactional(server.BootstrapServers, count, quickFlush: false) / b[i];
            context.Log($"run {i + 1}/{context.Runs} transactional, CommitTransaction's own flush: ratio {naive[i]:0.000}");
        }

        var mockCount = Math.Min(count, 40_000);
        var (mockHost, mockBootstrap) = Clients.MockCluster(Clients.ProducerConfig("mock:0"));
        var mockQuick = new double[context.Runs];
        var mockNaive = new double[context.Runs];
        using (mockHost)
        {
            for (var i = 0; i < context.Runs; i++)
            {
                var quick = await Transactional(mockBootstrap, mockCount, quickFlush: true);
                var slow = await Transactional(mockBootstrap, mockCount, quickFlush: false);
                var plain = await Plain(mockBootstrap, mockCount);
                (mockQuick[i], mockNaive[i]) = (quick / plain, slow / plain);
                context.Log($"run {i + 1}/{context.Runs} mock cluster: transactional {quick:G4} (CommitTransaction's own flush {slow:G4}), plain {plain:G4}");
            }
        }

        var ratio = Stats.Median(ratios);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{count:N0} × {ValueSize} B in transactions of {TransactionSize}, {Partitions} partitions round robin, acks=all, linger 5 ms, --flush {flush}",
            A = new SideResult("transactional", "rec/s", a),
            B = new SideResult("plain", "rec/s", b),
            Ratios = ratios,
            Target = "ratio ≥ 0.8",
            Checked = $"median ratio {Report.F(ratio)}",
            Met = context.Smoke ? null : ratio >= 0.8,
            Notes =
            {
                "One transaction at a time, as a transactional producer runs them: each costs AddPartitionsToTxn (fsync'd), the records, and EndTxn (answered once PrepareCommit is fsync'd); the COMMIT markers are written meanwhile and the next AddPartitionsToTxn waits for them.",
                "The plain side pipelines all its records with no transaction boundaries (the same producer settings).",
                $"Side A waits for its deliveries with Flush(1 ms) before CommitTransaction; committing straight after the last Produce (CommitTransaction's own flush polls in 10 ms steps) gives transactional / plain {Stats.Median(naive):0.000} median ({naive.Min():0.000}–{naive.Max():0.000}) here.",
                $"The same loops against librdkafka's mock cluster (no disk, {mockCount:N0} records), the client's own ceiling for sequential transactions of {TransactionSize}: transactional / plain {Stats.Median(mockQuick):0.000} median ({mockQuick.Min():0.000}–{mockQuick.Max():0.000}); with CommitTransaction's own flush {Stats.Median(mockNaive):0.000} ({mockNaive.Min():0.000}–{mockNaive.Max():0.000}).",
            },
        };
    }
}
