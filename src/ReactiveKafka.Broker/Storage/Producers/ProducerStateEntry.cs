namespace ReactiveKafka.Broker.Storage.Producers;

/// <summary>
/// One producer id's state in one partition (Kafka's <c>ProducerStateEntry</c>): its epoch, the last
/// <see cref="BatchesRetained"/> batches (to answer retries with their original offsets), the first offset of its
/// ongoing transaction, the epoch of the coordinator that wrote its last marker and when it last wrote.
/// </summary>
/// <remarks>Not thread-safe: owned by a <see cref="ProducerStateManager"/>, mutated under the partition's write lock.</remarks>
internal sealed class ProducerStateEntry
{
    /// <summary>How many batches per producer are remembered (Kafka's <c>NUM_BATCHES_TO_RETAIN</c>; librdkafka and the Java client keep at most 5 in flight).</summary>
    public const int BatchesRetained = 5;

    /// <summary>No epoch known: all of the producer's records are gone (retention, DeleteRecords).</summary>
    public const short NoEpoch = -1;

    private readonly BatchMetadata[] _batches = new BatchMetadata[BatchesRetained];
    private int _first;
    private int _count;

    /// <summary>Creates the state of a producer id not seen before.</summary>
    public ProducerStateEntry(long producerId) => ProducerId = producerId;

    /// <summary>The producer id.</summary>
    public long ProducerId { get; }

    /// <summary>The producer's epoch as last written, or <see cref="NoEpoch"/>.</summary>
    public short Epoch { get; set; } = NoEpoch;

    /// <summary>The epoch of the coordinator that wrote the producer's last marker; -1 when none.</summary>
    public int CoordinatorEpoch { get; set; } = -1;

    /// <summary>The max timestamp of the producer's last batch or marker (drives expiry, as Kafka's).</summary>
    public long LastTimestamp { get; set; } = -1;

    /// <summary>The first offset of the producer's ongoing transaction in this partition, or null.</summary>
    public long? CurrentTxnFirstOffset { get; set; }

    /// <summary>How many batches are remembered.</summary>
    public int BatchCount => _count;

    /// <summary>The last sequence written, or -1 when no batch is remembered.</summary>
    public int LastSequence => _count == 0 ? -1 : Batch(_count - 1).LastSequence;

    /// <summary>The last offset of the last batch, or -1.</summary>
    public long LastDataOffset => _count == 0 ? -1 : Batch(_count - 1).LastOffset;

    /// <summary>The remembered batch <paramref name="index"/> (0 the oldest).</summary>
    public BatchMetadata Batch(int index) => _batches[(_first + index) % BatchesRetained];

    /// <summary>The remembered batches, oldest first.</summary>
    public IEnumerable<BatchMetadata> Batches()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return Batch(i);
        }
    }

    /// <summary>A copy, which an append changes until it succeeds (Kafka's <c>ProducerAppendInfo</c>).</summary>
    public ProducerStateEntry Clone()
    {
        var copy = new ProducerStateEntry(ProducerId)
        {
            Epoch = Epoch,
            CoordinatorEpoch = CoordinatorEpoch,
            LastTimestamp = LastTimestamp,
            CurrentTxnFirstOffset = CurrentTxnFirstOffset,
        };
        Array.Copy(_batches, copy._batches, BatchesRetained);
        copy._first = _first;
        copy._count = _count;
        return copy;
    }

    /// <summary>Moves to <paramref name="epoch"/>; a new epoch forgets the batches of the old one (Kafka's <c>maybeUpdateProducerEpoch</c>).</summary>
    public void UpdateEpoch(short epoch)
    {
        if (Epoch != epoch)
        {
            _first = 0;
            _count = 0;
            Epoch = epoch;
        }
    }

    /// <summary>Remembers a batch written with <paramref name="epoch"/>, forgetting the oldest beyond <see cref="BatchesRetained"/>.</summary>
    public void AddBatch(short epoch, in BatchMetadata batch)
    {
        UpdateEpoch(epoch);
        if (_count == BatchesRetained)
        {
            _first = (_first + 1) % BatchesRetained;
            _count--;
        }

        _batches[(_first + _count) % BatchesRetained] = batch;
        _count++;
        LastTimestamp = batch.Timestamp;
    }

    /// <summary>The remembered batch of the same epoch with exactly this sequence range: a retry (Kafka's <c>findDuplicateBatch</c>).</summary>
    public BatchMetadata? FindDuplicate(short epoch, int firstSequence, int lastSequence)
    {
        if (epoch != Epoch)
        {
            return null;
        }

        for (var i = 0; i < _count; i++)
        {
            var batch = Batch(i);
            if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
            {
                return batch;
            }
        }

        return null;
    }
}
