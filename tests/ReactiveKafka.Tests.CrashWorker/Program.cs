using System.Globalization;
using Confluent.Kafka;
using ReactiveKafka;

// Usage: CrashWorker <bootstrap> <topic> <group> <processed-log>
// Records are "v{i}": i % 5 == 0 always fails (dead-lettered after the retry topics), i % 3 == 0 fails on its first
// attempt only (processed from a retry topic), the rest succeed. Each success appends "i" to the log before the record
// is acknowledged, so the log is what was processed (at-least-once: a line may repeat, none may be missing).
// Prints one line per result; runs until killed or until its standard input closes (then stops cleanly).
// "CrashWorker eos ..." runs an exactly-once pipeline member instead (see ExactlyOnceWorker).
if (args is ["eos", .. var eos])
{
    return await ExactlyOnceWorker.RunAsync(eos);
}

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: CrashWorker <bootstrap> <topic> <group> <processed-log>");
    return 2;
}

var (bootstrap, topic, group, log) = (args[0], args[1], args[2], args[3]);
var consumer = new ConsumerConfig
{
    BootstrapServers = bootstrap,
    GroupId = group,
    AutoOffsetReset = AutoOffsetReset.Earliest,
    SessionTimeoutMs = 6000,
    HeartbeatIntervalMs = 500,
};
var options = new RetryTopicOptions<string, string>(consumer, new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 2 }, topic)
{
    RetryDelays = [TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(600)],
    ConfigureReceiver = o => o with { CommitInterval = TimeSpan.FromMilliseconds(100) },
};
var logLock = new object();
using var logFile = new StreamWriter(new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
var processor = new RetryTopicProcessor<string, string>(options, async (record, cancellationToken) =>
{
    var i = int.Parse(record.Value.AsSpan(1), CultureInfo.InvariantCulture);
    await Task.Yield();
    if (i % 5 == 0 || (i % 3 == 0 && !record.IsRetry))
    {
        throw new InvalidOperationException($"record {i} failed on attempt {record.Attempt}");
    }

    lock (logLock)
    {
        logFile.WriteLine(i.ToString(CultureInfo.InvariantCulture));
    }
});

var stopped = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
using (processor.Run().Subscribe(
    result => Console.WriteLine($"{result.Outcome} {result.Original} from {result.Source}"),
    error =>
    {
        Console.Error.WriteLine(error);
        stopped.TrySetResult(1);
    }))
{
    Console.WriteLine("READY");
    _ = Task.Run(() =>
    {
        while (Console.In.ReadLine() is not null)
        {
        }

        stopped.TrySetResult(0);
    });
    var code = await stopped.Task;
    return code;
}
