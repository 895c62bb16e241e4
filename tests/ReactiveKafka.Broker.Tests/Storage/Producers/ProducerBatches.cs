using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Tests.Storage.Producers;

/// <summary>Batches as idempotent and transactional producers write them.</summary>
internal static class ProducerBatches
{
    public static byte[] Idempotent(long producerId, short epoch, int baseSequence, int records = 1, bool transactional = false, long timestamp = 1_000, string value = "v")
    {
        var builder = new RecordBatchBuilder(new RecordBatchOptions
        {
            ProducerId = producerId,
            ProducerEpoch = epoch,
            BaseSequence = baseSequence,
            IsTransactional = transactional,
        });
        for (var i = 0; i < records; i++)
        {
            builder.Append(timestamp, null, System.Text.Encoding.UTF8.GetBytes(records == 1 ? value : $"{value}{i}"));
        }

        return builder.ToArray();
    }
}
