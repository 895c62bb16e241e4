using System.Collections.ObjectModel;
using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;

namespace ReactiveKafka;

/// <summary>
/// How a <see cref="RetryTopicProcessor{TKey, TValue}"/> consumes <see cref="Topic"/> and moves failed records through
/// its retry topics (<c>{Topic}.retry.1</c>, <c>.retry.2</c>, ..., one per <see cref="RetryDelays"/> entry) to
/// <see cref="DeadLetterTopic"/>.
/// </summary>
/// <remarks>
/// Immutable: derive variations with <c>with</c>. A bad value throws an <see cref="ArgumentException"/> naming the
/// option. Every topic must exist when the processor starts (see
/// <see cref="RetryTopicProcessor{TKey, TValue}.CreateMissingTopicsAsync"/>); give the retry topics as many partitions
/// as <see cref="Topic"/>, so that one member of the group owns partition n of all of them (librdkafka's default range
/// assignor), which <see cref="PreserveKeyOrder"/> relies on.
/// </remarks>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed record RetryTopicOptions<TKey, TValue>
{
    /// <summary>Creates options.</summary>
    /// <param name="consumerConfig">The consumer configuration (at least <c>bootstrap.servers</c> and <c>group.id</c>), copied.</param>
    /// <param name="producerConfig">The producer configuration for the retry and dead-letter writes, copied; <c>acks</c> defaults to all.</param>
    /// <param name="topic">The topic to process.</param>
    /// <param name="keyDeserializer">The key deserializer; null for Confluent's built-in one of <typeparamref name="TKey"/>.</param>
    /// <param name="valueDeserializer">The value deserializer; null for Confluent's built-in one of <typeparamref name="TValue"/>.</param>
    public RetryTopicOptions(ConsumerConfig consumerConfig, ProducerConfig producerConfig, string topic, IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
    {
        ArgumentNullException.ThrowIfNull(consumerConfig);
        ArgumentNullException.ThrowIfNull(producerConfig);
        ConsumerConfig = new ConsumerConfig(consumerConfig.ToDictionary(p => p.Key, p => p.Value));
        ProducerConfig = new ProducerConfig(producerConfig.ToDictionary(p => p.Key, p => p.Value));
        Topic = topic;
        DeadLetterTopic = topic + ".dlt";
        KeyDeserializer = keyDeserializer ?? DefaultDeserializers.For<TKey>()
            ?? throw new ArgumentException($"RetryTopicOptions.KeyDeserializer is required: {typeof(TKey)} has no built-in deserializer.", nameof(keyDeserializer));
        ValueDeserializer = valueDeserializer ?? DefaultDeserializers.For<TValue>()
            ?? throw new ArgumentException($"RetryTopicOptions.ValueDeserializer is required: {typeof(TValue)} has no built-in deserializer.", nameof(valueDeserializer));
    }

    /// <summary>The consumer configuration (a copy); the processor's receiver reads <see cref="Topic"/> and the retry topics with it.</summary>
    public ConsumerConfig ConsumerConfig { get; }

    /// <summary>The producer configuration (a copy) of the retry and dead-letter writes.</summary>
    public ProducerConfig ProducerConfig { get; }

    /// <summary>The topic to process.</summary>
    public string Topic
    {
        get;
        init => field = !string.IsNullOrWhiteSpace(value) ? value : throw new ArgumentException("RetryTopicOptions.Topic must name a topic.", nameof(Topic));
    }

    /// <summary>
    /// How long a failed record waits before each retry topic's attempt: entry n is the delay of <c>{Topic}.retry.{n+1}</c>.
    /// Default 1 s, 10 s, 60 s. Empty: failed records go straight to the dead-letter topic. Each from 1 ms to 7 days.
    /// </summary>
    public IReadOnlyList<TimeSpan> RetryDelays
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(RetryDelays));
            foreach (var delay in value)
            {
                if (delay < TimeSpan.FromMilliseconds(1) || delay > TimeSpan.FromDays(7))
                {
                    throw new ArgumentOutOfRangeException(nameof(RetryDelays), delay, "RetryTopicOptions.RetryDelays entries must be from 1 ms to 7 days.");
                }
            }

            field = new ReadOnlyCollection<TimeSpan>([.. value]);
        }
    } = new ReadOnlyCollection<TimeSpan>([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60)]);

    /// <summary>Where records go when every retry failed (or the failure is not retriable). Default <c>{Topic}.dlt</c>.</summary>
    public string DeadLetterTopic
    {
        get;
        init => field = !string.IsNullOrWhiteSpace(value) ? value : throw new ArgumentException("RetryTopicOptions.DeadLetterTopic must name a topic.", nameof(DeadLetterTopic));
    }

    /// <summary>In-place attempts on each topic before the record moves on. Default <see cref="RetryPolicy.None"/>: one attempt per topic.</summary>
    public RetryPolicy InPlace
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(InPlace), "RetryTopicOptions.InPlace must not be null.");
    } = RetryPolicy.None;

    /// <summary>
    /// Which failures are worth retrying; the others go straight to the dead-letter topic (without the in-place
    /// attempts of <see cref="InPlace"/> either). Default: all.
    /// </summary>
    public Func<Exception, bool> IsRetriable
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(IsRetriable), "RetryTopicOptions.IsRetriable must not be null.");
    } = static _ => true;

    /// <summary>
    /// True (default): a record whose key or value cannot be deserialized (a poison record) goes to the dead-letter
    /// topic as it was (bytes untouched, <see cref="DeadLetterHeaders.Attempts"/> 0, the deserializer's exception in the
    /// headers) and processing goes on. False: it ends the processing with a <see cref="ConsumeException"/> naming the
    /// record, as a receiver does.
    /// </summary>
    public bool DeadLetterPoisonRecords { get; init; } = true;

    /// <summary>
    /// Keeps the records of a key in order: while a record of a key is in the retry topics, later records of that key
    /// read from <see cref="Topic"/> wait (in memory, unacknowledged) and are processed, in order, once it is processed
    /// or dead-lettered; other keys go on. Default false.
    /// </summary>
    /// <remarks>
    /// The cost: a waiting record holds its partition's committed offset back for as long as the earlier one retries
    /// (up to the sum of <see cref="RetryDelays"/>), so a restart reads everything after it again (records of other keys
    /// processed meanwhile are processed again: at-least-once); waiting records count against the receiver's
    /// <see cref="ReceiverOptions{TKey, TValue}.MaxUnacknowledged"/>; and the hold lives in this process, so a restart
    /// or a rebalance that moves the partition forgets it (order holds per process lifetime, not across crashes).
    /// Records without a key are never held.
    /// </remarks>
    public bool PreserveKeyOrder { get; init; }

    /// <summary>Adjusts the receiver's options (commit interval, bounds, listeners) before it is created; its Topics are the processor's.</summary>
    public Func<ReceiverOptions<byte[], byte[]>, ReceiverOptions<byte[], byte[]>>? ConfigureReceiver { get; init; }

    /// <summary>The key deserializer.</summary>
    public IDeserializer<TKey> KeyDeserializer { get; init; }

    /// <summary>The value deserializer.</summary>
    public IDeserializer<TValue> ValueDeserializer { get; init; }

    /// <summary>The retry topics, in order: <c>{Topic}.retry.1</c>, <c>{Topic}.retry.2</c>, ... (one per <see cref="RetryDelays"/> entry).</summary>
    public IReadOnlyList<string> RetryTopics => [.. Enumerable.Range(1, RetryDelays.Count).Select(level => $"{Topic}.retry.{level}")];
}
