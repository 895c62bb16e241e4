using System.Reactive.Linq;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.ErrorHandling.Internal;

namespace ReactiveKafka;

/// <summary>
/// Processes a topic with non-blocking retries: a record whose processing fails is written to the next retry topic
/// (<c>{topic}.retry.1</c>, <c>.retry.2</c>, ..., each with its own delay) and, after the last, to the dead-letter
/// topic, with the <see cref="DeadLetterHeaders"/>; the partition it came from goes on at once.
/// </summary>
/// <remarks>
/// <para>
/// One receiver reads the topic and its retry topics in one group, each partition in its own ordered lane. A record
/// of a retry topic is processed when it is due (its <see cref="DeadLetterHeaders.RetryDue"/>): until then its
/// partition is paused (no more fetching) and the lane waits on a timer, so no thread sleeps and no other partition
/// waits; it resumes 300 ms before the record is due, so that the records behind it are fetched in time. Measured on
/// the bundled broker, records run 1–25 ms after they are due (the tests allow 0–1 s).
/// </para>
/// <para>
/// At-least-once, crash-safe: a record is acknowledged only once it is processed, or once its write to the next topic
/// is acknowledged by the broker. A crash at any point loses nothing; it may process (or write) a record again.
/// </para>
/// </remarks>
/// <example>
/// <code language="csharp"><![CDATA[
/// var options = new RetryTopicOptions<string, string>(consumerConfig, producerConfig, "orders")
/// {
///     RetryDelays = [TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)], // orders.retry.1, orders.retry.2
/// };                                                                      // then orders.dlt
/// var processor = new RetryTopicProcessor<string, string>(options, (record, ct) => HandleAsync(record.Value, ct));
/// await processor.CreateMissingTopicsAsync();
/// using var running = processor.Run().Subscribe(result => Log(result));
/// ]]></code>
/// </example>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed class RetryTopicProcessor<TKey, TValue>
{
    private readonly Func<RetryingRecord<TKey, TValue>, CancellationToken, ValueTask> _handler;

    /// <summary>Creates a processor; nothing runs until <see cref="Run"/> is subscribed to.</summary>
    /// <param name="options">The topics, delays and policies.</param>
    /// <param name="handler">Processes one record; throws to fail the attempt.</param>
    public RetryTopicProcessor(RetryTopicOptions<TKey, TValue> options, Func<RetryingRecord<TKey, TValue>, CancellationToken, ValueTask> handler)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
    }

    /// <summary>The options.</summary>
    public RetryTopicOptions<TKey, TValue> Options { get; }

    /// <summary>
    /// Runs the processor while subscribed: emits one <see cref="RetryTopicResult"/> per record handled (processed,
    /// moved to a retry topic, or dead-lettered), on the processor's threads. Disposing stops it (acknowledged offsets
    /// are committed, records being handled are read again later).
    /// </summary>
    /// <remarks>
    /// Fails at once with an <see cref="InvalidOperationException"/> naming the topic when the topic, a retry topic or
    /// the dead-letter topic does not exist; later, with the error of a failed retry or dead-letter write (the record
    /// stays unacknowledged), or of a poison record when <see cref="RetryTopicOptions{TKey, TValue}.DeadLetterPoisonRecords"/> is false.
    /// </remarks>
    /// <returns>The results; the sequence does not complete on its own.</returns>
    public IObservable<RetryTopicResult> Run() =>
        Observable.Create<RetryTopicResult>(observer => new RetryTopicRun<TKey, TValue>(Options, _handler, observer).Start());

    /// <summary>
    /// Creates the retry topics and the dead-letter topic that do not exist yet, with the processed topic's partition
    /// count (which must exist).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The topics created.</returns>
    /// <exception cref="InvalidOperationException">The processed topic does not exist.</exception>
    public async Task<IReadOnlyList<string>> CreateMissingTopicsAsync(CancellationToken cancellationToken = default)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Options.ProducerConfig.BootstrapServers }).Build();
        var known = TopicChecks.RequireExisting(admin, [(Options.Topic, "topic to process")]);
        var missing = Options.RetryTopics.Append(Options.DeadLetterTopic).Where(t => !known.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            await admin.CreateTopicsAsync(
                missing.Select(t => new TopicSpecification { Name = t, NumPartitions = known[Options.Topic], ReplicationFactor = -1 }),
                new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30) }).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return missing;
    }
}
