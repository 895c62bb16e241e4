using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.ErrorHandling.Internal;

namespace ReactiveKafka;

/// <summary>
/// Rx operators for records that fail: in-place retry with a <see cref="RetryPolicy"/> (Polly.Core) and writing the
/// records that still fail to a dead-letter topic before acknowledging them. For retries that must not hold the
/// partition, see <see cref="RetryTopicProcessor{TKey, TValue}"/>.
/// </summary>
/// <example>
/// <code language="csharp"><![CDATA[
/// receiver.Receive()
///     .ProcessWithRetry((record, ct) => HandleAsync(record.Value, ct), new RetryPolicy { MaxAttempts = 3 })
///     .DeadLetter(sender, "orders.dlt")
///     .Subscribe(result => Log(result.Outcome));
/// ]]></code>
/// </example>
public static class ErrorHandlingExtensions
{
    /// <summary>
    /// Processes each record with <paramref name="handler"/>, retrying in place as <paramref name="policy"/> says, one
    /// record at a time in arrival order; acknowledges each record the handler succeeded on and emits one
    /// <see cref="ProcessedRecord{TKey, TValue}"/> per record.
    /// </summary>
    /// <remarks>
    /// A record whose attempts all fail is emitted as <see cref="RecordOutcome.Failed"/> and is not acknowledged:
    /// follow with <see cref="DeadLetter{TKey, TValue}"/>, or acknowledge it yourself. The waits between attempts are
    /// timers (no thread is blocked); the next record waits for them. Disposing the subscription cancels the token
    /// given to the handler and the wait.
    /// </remarks>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="records">The received records.</param>
    /// <param name="handler">Processes one record; throws to fail the attempt.</param>
    /// <param name="policy">Attempts, backoff and which exceptions are retried.</param>
    /// <returns>One result per record, in order.</returns>
    public static IObservable<ProcessedRecord<TKey, TValue>> ProcessWithRetry<TKey, TValue>(
        this IObservable<ReceiverRecord<TKey, TValue>> records,
        Func<ReceiverRecord<TKey, TValue>, CancellationToken, ValueTask> handler,
        RetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(policy);
        var pipeline = policy.ToPipeline();
        return records
            .Select(record => Observable.FromAsync(async cancellationToken =>
            {
                var attempts = 0;
                try
                {
                    await pipeline.ExecuteAsync(
                        async token =>
                        {
                            attempts++;
                            await handler(record, token).ConfigureAwait(false);
                        },
                        cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested)
                {
                    return new ProcessedRecord<TKey, TValue>(record, RecordOutcome.Failed, attempts, error);
                }

                record.Offset.Acknowledge();
                return new ProcessedRecord<TKey, TValue>(record, RecordOutcome.Processed, attempts, null);
            }))
            .Concat();
    }

    /// <summary>
    /// Writes each <see cref="RecordOutcome.Failed"/> record to <paramref name="deadLetterTopic"/> (its key, value and
    /// headers, plus the <see cref="DeadLetterHeaders"/>) and acknowledges it only once the broker acknowledged that
    /// write; passes the other results through. One record at a time, in order.
    /// </summary>
    /// <remarks>
    /// Subscribing checks that the topic exists (through the sender's producer) and fails with an
    /// <see cref="InvalidOperationException"/> naming it when it does not. A failed write ends the sequence with its
    /// error, and the record stays unacknowledged (it is read again: nothing is lost).
    /// </remarks>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="results">Results of <see cref="ProcessWithRetry{TKey, TValue}"/>.</param>
    /// <param name="sender">The sender that writes the dead letters (same key and value types, so the same serializers).</param>
    /// <param name="deadLetterTopic">The dead-letter topic; it must exist.</param>
    /// <returns>The results, failed ones as <see cref="RecordOutcome.DeadLettered"/> with <see cref="ProcessedRecord{TKey, TValue}.WrittenTo"/>.</returns>
    public static IObservable<ProcessedRecord<TKey, TValue>> DeadLetter<TKey, TValue>(
        this IObservable<ProcessedRecord<TKey, TValue>> results,
        KafkaSender<TKey, TValue> sender,
        string deadLetterTopic)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentException.ThrowIfNullOrWhiteSpace(deadLetterTopic);
        return Observable.Defer(() =>
        {
            sender.DoOnProducer(producer =>
            {
                using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
                return TopicChecks.RequireExisting(admin, [(deadLetterTopic, "dead-letter topic")]);
            });
            return results
                .Select(result => result.Outcome != RecordOutcome.Failed
                    ? Observable.Return(result)
                    : Observable.FromAsync(cancellationToken => WriteDeadLetterAsync(result, sender, deadLetterTopic, cancellationToken)))
                .Concat();
        });
    }

    private static async Task<ProcessedRecord<TKey, TValue>> WriteDeadLetterAsync<TKey, TValue>(
        ProcessedRecord<TKey, TValue> result, KafkaSender<TKey, TValue> sender, string topic, CancellationToken cancellationToken)
    {
        var record = result.Record;
        var headers = DeadLetterHeaders.Build(
            record.Headers, record.TopicPartitionOffset, record.Timestamp.UnixTimestampMs, result.Attempts, result.Exception, due: null);
        var sent = await sender.SendAsync(
            new SenderRecord<TKey, TValue, int>(topic, record.Key, record.Value, 0) { Headers = headers },
            cancellationToken).ConfigureAwait(false);
        if (sent.Exception is { } error)
        {
            throw error;
        }

        // Only now: a crash before this line reads the record again, so it is never lost (it may be dead-lettered twice).
        record.Offset.Acknowledge();
        return result with { Outcome = RecordOutcome.DeadLettered, WrittenTo = sent.TopicPartitionOffset };
    }
}
