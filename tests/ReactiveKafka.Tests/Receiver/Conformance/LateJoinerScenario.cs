using System.Collections.Concurrent;
using System.Diagnostics;
using ReactiveKafka.Receiver.Internal;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver.Conformance;

/// <summary>
/// Issue 19, defect 1: a slow member reads a 4-partition backlog, a second member joins the group mid-stream, and
/// every record must still arrive. The figures say how many distinct records arrived, how many twice, and how long
/// the rest took after the join.
/// </summary>
internal sealed class LateJoinerScenario
{
    public required string BootstrapServers { get; init; }

    public required string Topic { get; init; }

    public int Partitions { get; init; } = 4;

    public int RecordsPerPartition { get; init; } = 5_000;

    /// <summary>Spin iterations per record before acknowledging.</summary>
    public int Spin { get; init; } = 20_000;

    /// <summary>Records receiver 1 has processed when receiver 2 joins.</summary>
    public int JoinAfter { get; init; } = 3_000;

    public TimeSpan Observe { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Makes the worst timing certain: receiver 1's subscriber stops at record <see cref="JoinAfter"/> until receiver 1
    /// has paused its partitions for backpressure; receiver 2 then joins, and at the revocation the subscriber goes on
    /// (skipping the withdrawn records) so that the buffer is empty again before the new assignment arrives.
    /// </summary>
    public bool PausedAtJoin { get; init; }

    /// <summary>After a stall, logs each consumer's positions and what resuming every assigned partition by hand brings.</summary>
    public bool DiagnoseStall { get; init; }

    public Func<ReceiverOptions<string, string>, ReceiverOptions<string, string>> Configure { get; init; } = o => o;

    public int Total => Partitions * RecordsPerPartition;

    public async Task<LateJoinerFigures> RunAsync(Action<string>? log = null)
    {
        var group = "late-joiner-" + Guid.NewGuid().ToString("N")[..12];
        var seen = new ConcurrentDictionary<(int Partition, long Offset), int>();
        var byReceiver = new int[2];
        using var gate = new ManualResetEventSlim(!PausedAtJoin);
        KafkaReceiver<string, string>? first = null;
        var options = Configure(new ReceiverOptions<string, string>(ConsumerConfig(BootstrapServers, group))
        {
            Topics = [Topic],
            CommitInterval = TimeSpan.FromMilliseconds(200),
        });

        IDisposable Start(int index, out KafkaReceiver<string, string> receiver)
        {
            receiver = KafkaReceiver.Create(index == 0 && PausedAtJoin ? options with { OnPartitionsRevoked = _ => ReleaseAtRevocation() } : options);
            return receiver.Receive().Subscribe(record =>
            {
                seen.AddOrUpdate((record.Partition.Value, record.Offset.Value), 1, static (_, n) => n + 1);
                if (Interlocked.Increment(ref byReceiver[index]) == JoinAfter && index == 0)
                {
                    gate.Wait(TimeSpan.FromSeconds(60));
                }

                Thread.SpinWait(Spin);
                record.Offset.Acknowledge();
            }, error => log?.Invoke($"receiver {index + 1} failed: {error}"));
        }

        void ReleaseAtRevocation()
        {
            // On the loop thread, before the new assignment: let the subscriber skip what the revocation withdrew.
            if (!gate.IsSet)
            {
                gate.Set();
                SpinWait.SpinUntil(() => first!.Loop!.Buffer.Count == 0, TimeSpan.FromSeconds(5));
            }
        }

        var clock = Stopwatch.StartNew();
        using var subscription1 = Start(0, out var receiver1);
        first = receiver1;
        await WaitUntil(() => Volatile.Read(ref byReceiver[0]) >= JoinAfter, TimeSpan.FromSeconds(60), () => $"receiver 1 processes {JoinAfter} records ({byReceiver[0]})");
        if (PausedAtJoin)
        {
            await WaitUntil(() => receiver1.Loop!.Reasons.HasFlag(PauseReasons.Backpressure), TimeSpan.FromSeconds(30), "receiver 1 pauses for backpressure");
        }

        var beforeJoin = Volatile.Read(ref byReceiver[0]);
        var joinedAt = clock.Elapsed;
        using var subscription2 = Start(1, out var receiver2);
        var drained = false;
        try
        {
            await WaitUntil(() => seen.Count >= Total, Observe, "every record");
            drained = true;
        }
        catch (TimeoutException)
        {
        }

        var drainTime = clock.Elapsed - joinedAt;
        var figures = new LateJoinerFigures(
            Total,
            seen.Count,
            seen.Values.Sum(n => n - 1),
            drained ? drainTime : null,
            beforeJoin,
            byReceiver[0],
            byReceiver[1],
            joinedAt,
            $"receiver 1: assignments {receiver1.Loop!.Assignments}, revocations {receiver1.Loop.Revocations}, pauses {receiver1.Loop.Pauses}, client errors {receiver1.Loop.ClientErrors}; " +
            $"receiver 2: assignments {receiver2.Loop?.Assignments}, revocations {receiver2.Loop?.Revocations}, pauses {receiver2.Loop?.Pauses}; " +
            "per partition distinct " + string.Join(", ", seen.Keys.GroupBy(k => k.Partition).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}")));
        log?.Invoke(figures.ToString());
        if (!drained && DiagnoseStall && log is not null)
        {
            foreach (var (name, receiver) in new[] { ("receiver 1", receiver1), ("receiver 2", receiver2) })
            {
                var state = await receiver.DoOnConsumer(c => string.Join(", ", c.Assignment.Select(p => $"{p.Partition.Value}@{c.Position(p).Value}"))).WaitAsync(TimeSpan.FromSeconds(10));
                log($"{name} stalled: assignment@position {state}; paused in the consumer per the loop [{string.Join(",", receiver.Loop!.PausedPartitions.Select(p => p.Partition.Value))}], reasons {receiver.Loop.Reasons}");
            }

            var before = seen.Count;
            await receiver1.DoOnConsumer(c => { c.Resume(c.Assignment); return 0; });
            await receiver2.DoOnConsumer(c => { c.Resume(c.Assignment); return 0; });
            await Task.Delay(10_000);
            log($"after Resume(Assignment) by hand on both consumers: {seen.Count - before} more distinct records in 10 s");
        }

        return figures;
    }
}

/// <summary>What <see cref="LateJoinerScenario"/> measured.</summary>
internal sealed record LateJoinerFigures(
    int Total,
    int Distinct,
    int Duplicates,
    TimeSpan? DrainTime,
    int Receiver1BeforeJoin,
    int Receiver1,
    int Receiver2,
    TimeSpan JoinedAt,
    string Details)
{
    public override string ToString() =>
        $"{Distinct} of {Total} distinct, {Duplicates} duplicates, drained after the join in {(DrainTime is { } t ? $"{t.TotalSeconds:F1} s" : "never (timed out)")}; " +
        $"receiver 1 processed {Receiver1BeforeJoin} before the join at {JoinedAt.TotalSeconds:F1} s and {Receiver1} in all, receiver 2 {Receiver2}; {Details}";
}
