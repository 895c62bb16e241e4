using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// Produce-time rule of compacted topics: every record needs a key, since compaction keeps the latest record per key
/// and a keyless record has none. Kafka (LogValidator.validateKey) rejects the whole produce with INVALID_RECORD and
/// the message below; so does this. Decodes (and decompresses) the batches, which only compacted topics pay for.
/// Stateless and thread-safe.
/// </summary>
internal static class KeyedRecordValidator
{
    /// <summary>
    /// Null when every record of <paramref name="records"/> (whole, CRC-checked batches) has a key; else the failed
    /// append: INVALID_RECORD naming the first keyless records, or CORRUPT_MESSAGE when a batch cannot be decoded.
    /// </summary>
    public static AppendResult? FindKeyless(ReadOnlyMemory<byte> records, string topicPartition)
    {
        IReadOnlyList<RecordBatch> batches;
        try
        {
            batches = RecordBatchReader.ReadAll(records);
        }
        catch (ProtocolException e)
        {
            return AppendResult.Failed(ErrorCode.CorruptMessage, e.Message);
        }

        var errors = new List<string>();
        var total = 0;
        foreach (var batch in batches)
        {
            for (var i = 0; i < batch.Records.Count; i++)
            {
                if (batch.Records[i].Key is null)
                {
                    total++;
                    if (errors.Count < 3)
                    {
                        errors.Add($"RecordError(batchIndex={i}, message='Compacted topic cannot accept message without key in topic partition {topicPartition}')");
                    }
                }
            }
        }

        return total == 0 ? null : AppendResult.Failed(ErrorCode.InvalidRecord,
            $"One or more records have been rejected due to {total} record errors in total, and only showing the first three errors at most: [{string.Join(", ", errors)}]");
    }
}
