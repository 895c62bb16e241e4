using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// The last batch of each producer id among the batches a clean rewrites: such a batch is kept (empty if need be)
/// because it carries the producer's last sequence and epoch, which idempotent producers and fencing rely on.
/// </summary>
/// <remarks>
/// <para>Built by walking batch headers (61 bytes each, no records) from the first batch that needs the answer to the
/// end of the range, once per clean and only if some batch with a producer id would otherwise vanish. Memory: one
/// entry per distinct producer id in that range.</para>
/// <para>Kafka keeps the last batch of each <i>active</i> producer of the whole log, as its producer state knows it.
/// This cleaner keeps the last batch of every producer id within the cleaned range (whether or not the partition's
/// producer state still remembers it): never fewer batches than Kafka, sometimes an empty batch more.</para>
/// <para>Not thread-safe; used by one clean.</para>
/// </remarks>
internal sealed class ProducerLastBatches
{
    private readonly Dictionary<long, long> _lastOffsets = [];

    private ProducerLastBatches()
    {
    }

    /// <summary>
    /// Walks <paramref name="segments"/> from segment <paramref name="segmentIndex"/> at file position
    /// <paramref name="position"/> to the end. The caller holds reader references on the segments.
    /// </summary>
    public static ProducerLastBatches Build(IReadOnlyList<LogSegment> segments, int segmentIndex, long position)
    {
        var result = new ProducerLastBatches();
        for (var i = segmentIndex; i < segments.Count; i++)
        {
            var segment = segments[i];
            var end = segment.Size;
            for (var at = i == segmentIndex ? position : 0; at < end && segment.TryReadHeader(at, out var header);)
            {
                if (header.TotalSize < RecordBatchHeader.Size)
                {
                    break; // Corrupt: the filter pass reports it.
                }

                if (header.HasProducerId)
                {
                    result._lastOffsets[header.ProducerId] = header.LastOffset;
                }

                at += header.TotalSize;
            }
        }

        return result;
    }

    /// <summary>Whether <paramref name="header"/> is the last batch of its producer id in the walked range.</summary>
    public bool IsLastOfProducer(in RecordBatchHeader header) =>
        header.HasProducerId && _lastOffsets.TryGetValue(header.ProducerId, out var last) && last == header.LastOffset;
}
