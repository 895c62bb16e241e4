using Confluent.Kafka;

namespace ReactiveKafka.Sender.Internal;

/// <summary>The awaiting path of <see cref="ProducerCore{TKey, TValue}.Prepare"/>, for asynchronous serializers.</summary>
internal sealed partial class ProducerCore<TKey, TValue>
{
    /// <summary>
    /// As <see cref="Prepare"/>, but awaits asynchronous serializers instead of waiting for them on the calling thread.
    /// With synchronous serializers only, it is <see cref="Prepare"/> and completes at once.
    /// </summary>
    public ValueTask<(InFlightRecord<TKey, TValue, TCorrelation> Entry, SerializedMessage Message)> PrepareAsync<TCorrelation>(
        SenderRecord<TKey, TValue, TCorrelation> record, IResultSink<TCorrelation> sink, InFlightRecordPool<TKey, TValue, TCorrelation>? pool = null)
    {
        if (!Options.HasAsyncSerializer)
        {
            var entry = Prepare(record, sink, pool, out var message);
            return new((entry, message));
        }

        return PrepareAwaitingAsync(record, sink, pool);
    }

    private async ValueTask<(InFlightRecord<TKey, TValue, TCorrelation> Entry, SerializedMessage Message)> PrepareAwaitingAsync<TCorrelation>(
        SenderRecord<TKey, TValue, TCorrelation> record, IResultSink<TCorrelation> sink, InFlightRecordPool<TKey, TValue, TCorrelation>? pool)
    {
        var entry = pool?.Rent(record, sink) ?? new InFlightRecord<TKey, TValue, TCorrelation>(this, record, sink);
        var headers = record.Headers ?? new Headers();
        byte[] key;
        byte[] value;
        try
        {
            var context = new SerializationContext(MessageComponentType.Key, record.Topic, headers);
            key = Options.AsyncKeySerializer is { } asyncKey
                ? await asyncKey.SerializeAsync(record.Key, context).ConfigureAwait(false)
                : Options.KeySerializer.Serialize(record.Key, context);
        }
        catch (Exception error)
        {
            entry.Fail(new Error(ErrorCode.Local_KeySerialization, error.Message), error, RequestedPartition(record.Partition));
            return (entry, default);
        }

        try
        {
            var context = new SerializationContext(MessageComponentType.Value, record.Topic, headers);
            value = Options.AsyncValueSerializer is { } asyncValue
                ? await asyncValue.SerializeAsync(record.Value, context).ConfigureAwait(false)
                : Options.ValueSerializer.Serialize(record.Value, context);
        }
        catch (Exception error)
        {
            entry.Fail(new Error(ErrorCode.Local_ValueSerialization, error.Message), error, RequestedPartition(record.Partition));
            return (entry, default);
        }

        return (entry, new SerializedMessage(key, value, headers.Count > 0 ? headers : null));
    }
}
