using System.Reactive.Linq;
using System.Runtime.CompilerServices;

namespace ReactiveKafka;

/// <summary>
/// Filters for received records that acknowledge what they drop. Rx's <c>Where</c> (or LINQ's) drops a record without
/// acknowledging it: the receiver then commits nothing past the first dropped record of each partition, and after
/// <see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/> dropped records it stops taking records for good.
/// <c>WhereAcknowledging</c> acknowledges each record the predicate rejects, as it rejects it, so commits go on past
/// everything the pipeline filtered out.
/// </summary>
/// <example>
/// <code language="csharp"><![CDATA[
/// receiver.Receive()
///     .WhereAcknowledging(r => r.Value.Contains("paid"))   // dropped records are acknowledged
///     .SelectMany(async r => { await BillAsync(r.Value); return r; })
///     .Subscribe(r => r.Offset.Acknowledge());             // kept records once processed
/// ]]></code>
/// </example>
public static class AcknowledgingFilters
{
    /// <summary>
    /// Keeps the records for which <paramref name="predicate"/> is true and acknowledges the others
    /// (<see cref="ReceiverOffset.Acknowledge"/>) as they are dropped. The kept records are acknowledged by the
    /// pipeline as usual. A predicate exception ends the sequence with it, as with <c>Where</c>.
    /// </summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="source">Received records, e.g. <see cref="KafkaReceiver{TKey, TValue}.Receive"/> or one partition of <c>ReceivePerPartition</c>.</param>
    /// <param name="predicate">True to keep a record.</param>
    /// <returns>The kept records.</returns>
    public static IObservable<ReceiverRecord<TKey, TValue>> WhereAcknowledging<TKey, TValue>(
        this IObservable<ReceiverRecord<TKey, TValue>> source, Func<ReceiverRecord<TKey, TValue>, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(predicate);
        return source.Where(record => Keep(record, predicate));
    }

    /// <summary>
    /// Keeps the records for which <paramref name="predicate"/> is true and acknowledges the others as they are
    /// dropped, for <see cref="KafkaReceiver{TKey, TValue}.ReceiveAsync"/>. A predicate exception is thrown to the
    /// enumerating code.
    /// </summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="source">Received records.</param>
    /// <param name="predicate">True to keep a record.</param>
    /// <returns>The kept records.</returns>
    public static IAsyncEnumerable<ReceiverRecord<TKey, TValue>> WhereAcknowledging<TKey, TValue>(
        this IAsyncEnumerable<ReceiverRecord<TKey, TValue>> source, Func<ReceiverRecord<TKey, TValue>, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(predicate);
        return Filter(source, predicate, CancellationToken.None);

        static async IAsyncEnumerable<ReceiverRecord<TKey, TValue>> Filter(
            IAsyncEnumerable<ReceiverRecord<TKey, TValue>> source,
            Func<ReceiverRecord<TKey, TValue>, bool> predicate,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var record in source.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (Keep(record, predicate))
                {
                    yield return record;
                }
            }
        }
    }

    private static bool Keep<TKey, TValue>(ReceiverRecord<TKey, TValue> record, Func<ReceiverRecord<TKey, TValue>, bool> predicate)
    {
        if (predicate(record))
        {
            return true;
        }

        record.Offset.Acknowledge();
        return false;
    }
}
