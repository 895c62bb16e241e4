namespace ReactiveKafka;

/// <summary>
/// Processes one record of a hosted pipeline (<c>AddKafkaPipeline&lt;TKey, TValue, THandler&gt;</c>); resolved from a
/// new service scope per record. Returning acknowledges the record; throwing fails the pipeline (the record is not
/// acknowledged and is processed again after a restart).
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public interface IKafkaRecordHandler<TKey, TValue>
{
    /// <summary>Processes <paramref name="record"/>.</summary>
    /// <param name="record">The record; its <see cref="ReceiverRecord{TKey, TValue}.Activity"/> is the current activity.</param>
    /// <param name="cancellationToken">
    /// Canceled only when the host's shutdown timeout runs out while the record is still being processed: the record is
    /// then left unacknowledged (read again by the partition's next reader). A graceful stop lets the handler finish.
    /// </param>
    /// <returns>A task completing when the record is processed.</returns>
    ValueTask HandleAsync(ReceiverRecord<TKey, TValue> record, CancellationToken cancellationToken);
}
