using System.Globalization;
using System.Reactive.Linq;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka;

/// <summary>
/// One member of an exactly-once consume-transform-produce pipeline, for the crash tests: ReceiveExactlyOnce from the
/// input topic, each record upper-cased to the output topic (same key) by SendTransactionally, each transaction's records
/// tagged with its batch ("txn" header: transactional id / process / batch number). Every <c>failEvery</c>-th batch fails after
/// its records are sent (an abort on purpose).
/// </summary>
/// <remarks>
/// Usage: <c>CrashWorker eos &lt;bootstrap&gt; &lt;input&gt; &lt;output&gt; &lt;group&gt; &lt;transactional-id&gt; &lt;fail-every&gt;</c>.
/// Prints <c>READY</c>, then <c>COMMITTED &lt;tag&gt; &lt;records&gt;</c> per committed transaction, <c>ABORTED &lt;tag&gt;</c>
/// per aborted one, <c>ASSIGNED &lt;n&gt;</c> per assignment and <c>FAILED &lt;error&gt;</c> if the pipeline ends. Runs until
/// killed (kill -9: no close of any kind) or until its standard input closes (then it stops cleanly and exits 0).
/// </remarks>
internal static class ExactlyOnceWorker
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 6)
        {
            Console.Error.WriteLine("usage: CrashWorker eos <bootstrap> <input> <output> <group> <transactional-id> <fail-every>");
            return 2;
        }

        var (bootstrap, input, output, group, transactionalId) = (args[0], args[1], args[2], args[3], args[4]);
        var failEvery = int.Parse(args[5], CultureInfo.InvariantCulture);
        var console = new object();
        void Say(string line)
        {
            lock (console)
            {
                Console.WriteLine(line);
            }
        }

        // A killed member's open transaction is aborted by the coordinator once this timeout passes (or at once when a
        // successor initializes the same transactional id): keep it short so that its partitions' new owner, which
        // waits for the pending offsets to settle (require_stable), is not held for librdkafka's default minute.
        var producer = new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5, TransactionTimeoutMs = 6000 };
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(producer)
        {
            TransactionalId = transactionalId,
            TransactionOperationTimeout = TimeSpan.FromSeconds(20),
        });
        var consumer = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 500,
            MaxPollIntervalMs = 20_000,
            TopicMetadataRefreshIntervalMs = 1000,
        };
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(consumer)
        {
            Topics = [input],
            BufferSize = 500,
            OnPartitionsAssigned = partitions => Say($"ASSIGNED {partitions.Count}"),
        });
        var transactions = sender.TransactionManager;
        long batches = 0;
        var stopped = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = sender.SendTransactionally(receiver.ReceiveExactlyOnce(transactions).Select(batch =>
            {
                // The tag names the batch (unique across restarts of the same transactional id); one batch, one transaction.
                var number = Interlocked.Increment(ref batches);
                var tag = $"{transactionalId}/{Environment.ProcessId}/{number}";
                var records = batch.Select(r => new SenderRecord<string, string, string>(output, r.Message.Key, r.Message.Value.ToUpperInvariant(), tag)
                {
                    Headers = new Headers { { "txn", Encoding.UTF8.GetBytes(tag) } },
                });
                return number % failEvery == 0
                    ? records.Concat(Observable.Throw<SenderRecord<string, string, string>>(new InvalidOperationException("injected")))
                    : records;
            }))
            .Subscribe(
                results =>
                {
                    string? tag = null;
                    long count = 0;
                    results.Subscribe(
                        result =>
                        {
                            tag = result.Correlation;
                            count++;
                        },
                        error => Say($"ABORTED {tag ?? "-"} {error.GetType().Name}: {error.Message.ReplaceLineEndings(" ")}"),
                        () => Say($"COMMITTED {tag ?? "-"} {count}"));
                },
                error =>
                {
                    Say($"FAILED {error.ToString().ReplaceLineEndings(" ")}");
                    stopped.TrySetResult(1);
                });
        Say("READY");
        _ = Task.Run(() =>
        {
            while (Console.In.ReadLine() is not null)
            {
            }

            stopped.TrySetResult(0);
        });
        var code = await stopped.Task;
        pipeline.Dispose();
        await receiver.WhenReleasedAsync();
        return code;
    }
}
