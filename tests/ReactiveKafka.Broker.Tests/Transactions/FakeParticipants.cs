using System.Collections.Concurrent;
using ReactiveKafka.Broker.Transactions;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Tests.Transactions;

/// <summary>A marker written by the coordinator under test.</summary>
internal sealed record WrittenMarker(TransactionPartition Partition, long ProducerId, short Epoch, bool Commit);

/// <summary>Records markers and group completions; can fail the first writes or hold them until cancelled.</summary>
internal sealed class FakeParticipants : ITransactionMarkerWriter, ITransactionalOffsets
{
    private int _failuresLeft;

    public ConcurrentQueue<WrittenMarker> Markers { get; } = new();

    public ConcurrentQueue<(string Group, long ProducerId, bool Commit)> Groups { get; } = new();

    public int Attempts;

    /// <summary>When set, every marker write waits until its token is cancelled (the broker stops).</summary>
    public bool Hang { get; set; }

    public void FailNext(int count) => _failuresLeft = count;

    public async ValueTask<ErrorCode> WriteMarkerAsync(TransactionPartition partition, long producerId, short producerEpoch, bool commit, int coordinatorEpoch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Attempts);
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            return ErrorCode.KafkaStorageError;
        }

        Markers.Enqueue(new WrittenMarker(partition, producerId, producerEpoch, commit));
        return ErrorCode.None;
    }

    public Task CompleteTransactionAsync(string groupId, long producerId, bool commit, CancellationToken cancellationToken)
    {
        Groups.Enqueue((groupId, producerId, commit));
        return Task.CompletedTask;
    }
}
