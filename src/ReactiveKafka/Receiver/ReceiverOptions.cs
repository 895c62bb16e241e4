using System.Collections.ObjectModel;
using System.Reactive.Concurrency;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Receiver.Internal;

namespace ReactiveKafka;

/// <summary>
/// How a <see cref="KafkaReceiver{TKey, TValue}"/> consumes: the Confluent consumer properties, the deserializers, what
/// to read (topics, a topic pattern, or a manual assignment), how acknowledged offsets are committed, the bounds that
/// apply backpressure, the partition listeners and the scheduler records are emitted on.
/// </summary>
/// <remarks>
/// <para>
/// Immutable: derive variations with <c>with</c> expressions. Every value is validated when it is set, so a bad value
/// throws an <see cref="ArgumentException"/> whose <see cref="ArgumentException.ParamName"/> names the option; the
/// rules between options (exactly one of <see cref="Topics"/>, <see cref="TopicPattern"/> and
/// <see cref="Assignment"/>) are checked by <see cref="KafkaReceiver.Create{TKey, TValue}(ReceiverOptions{TKey, TValue})"/>.
/// </para>
/// <para>
/// Unless set, <c>fetch.queue.backoff.ms</c> defaults to 10 ms instead of librdkafka's 1000 ms, which otherwise caps
/// throughput at about 200k records/s and stalls every resume for a second.
/// </para>
/// <para>
/// The receiver owns offset storage and commits: it sets <c>enable.auto.commit</c> and <c>enable.auto.offset.store</c>
/// to false itself and commits only acknowledged offsets. Setting either property to true is rejected.
/// </para>
/// <para>
/// Memory is bounded by <see cref="BufferSize"/> (records polled and not yet emitted), <see cref="MaxUnacknowledged"/>
/// (records polled and not yet acknowledged) and <see cref="MaxDeferredCommits"/> (acknowledgements held behind an
/// unacknowledged record). Each is a hard bound on its own: the receiver never takes a record that would exceed one,
/// so a subscriber that never acknowledges receives exactly <see cref="MaxUnacknowledged"/> records, whatever
/// <see cref="BufferSize"/> is. Reaching a bound stops taking records (and, if it still holds after a second, pauses the
/// assigned partitions while the receiver keeps polling); a bound reached is released when its own count is back at half
/// of it or below, and records flow again once no bound is reached. Current counts:
/// <see cref="KafkaReceiver{TKey, TValue}.Statistics"/>.
/// </para>
/// </remarks>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed partial record ReceiverOptions<TKey, TValue>
{
    /// <summary>The default of <see cref="BufferSize"/>: 4096 records.</summary>
    public const int DefaultBufferSize = 4096;

    /// <summary>The default of <see cref="MaxUnacknowledged"/>: 65536 records.</summary>
    public const int DefaultMaxUnacknowledged = 65_536;

    /// <summary>The default of <see cref="MaxDeferredCommits"/>: 65536 acknowledgements.</summary>
    public const int DefaultMaxDeferredCommits = 65_536;

    /// <summary>The default of <see cref="MaxCommitAttempts"/>: 100.</summary>
    public const int DefaultMaxCommitAttempts = 100;

    private static readonly string[] OwnedProperties = ["enable.auto.commit", "enable.auto.offset.store"];

    /// <summary>Creates options from a Confluent <see cref="ConsumerConfig"/> (copied: later changes to it are not seen).</summary>
    /// <param name="consumerConfig">The consumer configuration: at least <c>bootstrap.servers</c> and <c>group.id</c>.</param>
    /// <param name="keyDeserializer">The key deserializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueDeserializer">The value deserializer; null picks Confluent's built-in one for <typeparamref name="TValue"/>.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a deserializer is missing for a type without a built-in one.</exception>
    [OverloadResolutionPriority(1)] // (config) and (config, null, null) pick the synchronous deserializers
    public ReceiverOptions(ConsumerConfig consumerConfig, IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
        : this((IEnumerable<KeyValuePair<string, string>>)(consumerConfig ?? throw new ArgumentNullException(nameof(consumerConfig))), keyDeserializer, valueDeserializer)
    {
    }

    /// <summary>Creates options from librdkafka consumer properties (copied: later changes to the source are not seen).</summary>
    /// <param name="consumerProperties">librdkafka consumer properties: at least <c>bootstrap.servers</c> and <c>group.id</c>.</param>
    /// <param name="keyDeserializer">The key deserializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueDeserializer">The value deserializer; null picks Confluent's built-in one for <typeparamref name="TValue"/>.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a deserializer is missing for a type without a built-in one.</exception>
    [OverloadResolutionPriority(1)]
    public ReceiverOptions(IEnumerable<KeyValuePair<string, string>> consumerProperties, IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
    {
        ConsumerProperties = Copy(consumerProperties);
        KeyDeserializer = keyDeserializer ?? DefaultDeserializers.For<TKey>()
            ?? throw new ArgumentException($"ReceiverOptions.KeyDeserializer is required: {typeof(TKey)} has no built-in deserializer.", nameof(KeyDeserializer));
        ValueDeserializer = valueDeserializer ?? DefaultDeserializers.For<TValue>()
            ?? throw new ArgumentException($"ReceiverOptions.ValueDeserializer is required: {typeof(TValue)} has no built-in deserializer.", nameof(ValueDeserializer));
    }

    /// <summary>
    /// The librdkafka consumer properties (a read-only copy). <c>group.id</c> is required (commits belong to a group);
    /// <c>enable.auto.commit</c> and <c>enable.auto.offset.store</c> are owned by the receiver and may only be false.
    /// </summary>
    public IReadOnlyDictionary<string, string> ConsumerProperties
    {
        get;
        init => field = Copy(value);
    }

    /// <summary>
    /// Deserializes record keys. A deserializer exception ends the sequence with a <see cref="ConsumeException"/> whose
    /// message names the topic, partition and offset. Setting it clears <see cref="AsyncKeyDeserializer"/>; while that
    /// is set, this is its synchronous view, which the receiver uses.
    /// </summary>
    public IDeserializer<TKey> KeyDeserializer
    {
        get;
        init
        {
            field = value ?? throw new ArgumentNullException(nameof(KeyDeserializer), "ReceiverOptions.KeyDeserializer must not be null.");
            _asyncKeyDeserializer = null;
        }
    }

    /// <summary>
    /// Deserializes record values. A deserializer exception ends the sequence with a <see cref="ConsumeException"/> whose
    /// message names the topic, partition and offset. Setting it clears <see cref="AsyncValueDeserializer"/>; while that
    /// is set, this is its synchronous view, which the receiver uses.
    /// </summary>
    public IDeserializer<TValue> ValueDeserializer
    {
        get;
        init
        {
            field = value ?? throw new ArgumentNullException(nameof(ValueDeserializer), "ReceiverOptions.ValueDeserializer must not be null.");
            _asyncValueDeserializer = null;
        }
    }

    /// <summary>Subscribes (group-managed assignment) to these topics. Exactly one of Topics, TopicPattern and Assignment is set.</summary>
    public IReadOnlyList<string>? Topics
    {
        get;
        init => field = value is null ? null : CheckTopics(value);
    }

    /// <summary>
    /// Subscribes (group-managed assignment) to every topic whose name matches this regular expression, including
    /// topics created later. It is librdkafka's (POSIX extended) syntax, not .NET's; a leading <c>^</c> is added when
    /// missing (librdkafka treats only names starting with <c>^</c> as patterns). Exactly one of Topics, TopicPattern
    /// and Assignment is set.
    /// </summary>
    public string? TopicPattern
    {
        get;
        init => field = value is null ? null
            : string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("ReceiverOptions.TopicPattern must not be empty.", nameof(TopicPattern))
            : value.StartsWith('^') ? value : "^" + value;
    }

    /// <summary>
    /// Reads exactly these partitions (no group rebalancing; commits still go to <c>group.id</c>). An offset of
    /// <see cref="Offset.Unset"/> starts at the committed offset (or <c>auto.offset.reset</c>); any other offset,
    /// including <see cref="Offset.Beginning"/> and <see cref="Offset.End"/>, starts there. Exactly one of Topics,
    /// TopicPattern and Assignment is set.
    /// </summary>
    public IReadOnlyList<TopicPartitionOffset>? Assignment
    {
        get;
        init => field = value is null ? null : CheckAssignment(value);
    }

    /// <summary>
    /// How often acknowledged offsets are committed. Default 5 seconds; <see cref="TimeSpan.Zero"/> disables commits by
    /// interval (then <see cref="CommitBatchSize"/>, <see cref="ReceiverOffset.CommitAsync"/>, revocation and close commit).
    /// </summary>
    public TimeSpan CommitInterval
    {
        get;
        init => field = value >= TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(nameof(CommitInterval), value, "ReceiverOptions.CommitInterval must be from zero to int.MaxValue milliseconds.");
    } = TimeSpan.FromSeconds(5);

    /// <summary>Commits once this many acknowledgements arrived since the last commit. Default 0: disabled.</summary>
    public int CommitBatchSize
    {
        get;
        init => field = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(CommitBatchSize), value, "ReceiverOptions.CommitBatchSize must not be negative.");
    }

    /// <summary>
    /// The most acknowledgements held because an earlier record of their partition is not yet acknowledged (they cannot
    /// be committed until it is). Reaching it pauses the partitions until the gaps are filled. Default
    /// <see cref="DefaultMaxDeferredCommits"/>; at least 1.
    /// </summary>
    public int MaxDeferredCommits
    {
        get;
        init => field = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxDeferredCommits), value, "ReceiverOptions.MaxDeferredCommits must be at least 1.");
    } = DefaultMaxDeferredCommits;

    /// <summary>
    /// How many times a commit that failed with a retriable error is attempted in all (the partitions are paused while
    /// a retry is pending); after the last one, or at once for a non-retriable error, the sequence ends with the error.
    /// Default <see cref="DefaultMaxCommitAttempts"/>; at least 1.
    /// </summary>
    public int MaxCommitAttempts
    {
        get;
        init => field = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxCommitAttempts), value, "ReceiverOptions.MaxCommitAttempts must be at least 1.");
    } = DefaultMaxCommitAttempts;

    /// <summary>The wait before retrying a failed commit. Default 500 ms; from zero to int.MaxValue milliseconds.</summary>
    public TimeSpan CommitRetryInterval
    {
        get;
        init => field = value >= TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(nameof(CommitRetryInterval), value, "ReceiverOptions.CommitRetryInterval must be from zero to int.MaxValue milliseconds.");
    } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// For <see cref="KafkaReceiver{TKey, TValue}.ReceiveAtMostOnce"/>: how many offsets past the emitted record a commit
    /// reaches (capped at the partition's high watermark), so that the next records need no commit of their own. After a
    /// crash up to this many records per partition are skipped. Default 0: one commit per poll batch and partition.
    /// </summary>
    public int AtMostOnceCommitAheadSize
    {
        get;
        init => field = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(AtMostOnceCommitAheadSize), value, "ReceiverOptions.AtMostOnceCommitAheadSize must not be negative.");
    }

    /// <summary>
    /// The most records polled and not yet emitted to the subscriber. Reaching it pauses the assigned partitions;
    /// they resume when the buffer is half empty. Default <see cref="DefaultBufferSize"/>; at least 1.
    /// </summary>
    public int BufferSize
    {
        get;
        init => field = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(BufferSize), value, "ReceiverOptions.BufferSize must be at least 1.");
    } = DefaultBufferSize;

    /// <summary>
    /// The most records polled (buffered or emitted) and not yet acknowledged. Reaching it pauses the assigned
    /// partitions; they resume when half of them are acknowledged. Ignored by
    /// <see cref="KafkaReceiver{TKey, TValue}.ReceiveAtMostOnce"/> (its records are committed before they are emitted).
    /// Default <see cref="DefaultMaxUnacknowledged"/>; at least 1.
    /// </summary>
    public int MaxUnacknowledged
    {
        get;
        init => field = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxUnacknowledged), value, "ReceiverOptions.MaxUnacknowledged must be at least 1.");
    } = DefaultMaxUnacknowledged;

    /// <summary>
    /// How long one poll waits for records. It also bounds how late acknowledgements, commits requested by
    /// <see cref="ReceiverOffset.CommitAsync"/> and <see cref="KafkaReceiver{TKey, TValue}.DoOnConsumer{T}"/> actions run
    /// while no records arrive. Default 100 ms; from 1 ms to 10 seconds.
    /// </summary>
    public TimeSpan PollTimeout
    {
        get;
        init => field = value >= TimeSpan.FromMilliseconds(1) && value <= TimeSpan.FromSeconds(10)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PollTimeout), value, "ReceiverOptions.PollTimeout must be from 1 ms to 10 seconds.");
    } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long disposing a subscription (or ending an async enumeration) waits for the loop to stop and commit the
    /// acknowledged offsets, and how long a later subscription of the same receiver waits for the previous consumer to
    /// leave the group and be released. Default 30 seconds; from zero to int.MaxValue milliseconds.
    /// </summary>
    public TimeSpan CloseTimeout
    {
        get;
        init => field = value >= TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(nameof(CloseTimeout), value, "ReceiverOptions.CloseTimeout must be from zero to int.MaxValue milliseconds.");
    } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On revocation, how long to wait for the records already handed out from the revoked partitions to be
    /// acknowledged before their offsets are committed and the rebalance goes on (Reactor Kafka's
    /// <c>maxDelayRebalance</c>): fewer records are read again by the partitions' next owners. The wait runs inside the
    /// rebalance callback, so keep it well under <c>max.poll.interval.ms</c> and the group's rebalance timeout. Exactly
    /// once, it is how long the open transaction may take to commit before it is aborted. Lost partitions and closes
    /// never wait. Default zero: no wait; from zero to int.MaxValue milliseconds.
    /// </summary>
    public TimeSpan MaxDelayRebalance
    {
        get;
        init => field = value >= TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxDelayRebalance), value, "ReceiverOptions.MaxDelayRebalance must be from zero to int.MaxValue milliseconds.");
    }

    /// <summary>
    /// Called on the consumer loop thread when partitions are assigned (and, for a manual <see cref="Assignment"/>, before
    /// reading starts). The listener may seek each <see cref="ReceiverPartition"/>; it must not block for long.
    /// An exception ends the sequence.
    /// </summary>
    public Action<IReadOnlyList<ReceiverPartition>>? OnPartitionsAssigned { get; init; }

    /// <summary>
    /// Called on the consumer loop thread when partitions are revoked (and, for a manual assignment, on close), after
    /// their acknowledged offsets are committed. An exception ends the sequence.
    /// </summary>
    public Action<IReadOnlyList<TopicPartition>>? OnPartitionsRevoked { get; init; }

    /// <summary>
    /// Called on the consumer loop thread when partitions are lost (the group moved them without a revoke, e.g. after a
    /// session timeout or when the member was fenced), with what the receiver had received of each and what the next
    /// owner reads again (<see cref="LostPartition"/>). Nothing is committed for them, their buffered records are
    /// dropped, and later acknowledgements of their records are dropped and counted
    /// (<see cref="ReceiverStatistics.AcknowledgementsDropped"/>, beside <see cref="ReceiverStatistics.PartitionsLost"/>).
    /// An exception ends the sequence.
    /// </summary>
    public Action<IReadOnlyList<LostPartition>>? OnPartitionsLost { get; init; }

    /// <summary>
    /// The scheduler on which the observable API emits (polling happens on the receiver's own loop thread, which never
    /// waits for a subscriber). Default <see cref="DefaultScheduler.Instance"/>. <c>Receive</c>, <c>ReceiveAtMostOnce</c>
    /// and the batch receives emit on a long-running thread of this scheduler when it has one
    /// (<see cref="ISchedulerLongRunning"/>, as the default does), woken once per poll, rather than a thread-pool work
    /// item per poll; the per-partition receive schedules work items. The async API ignores it.
    /// </summary>
    public IScheduler Scheduler
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Scheduler), "ReceiverOptions.Scheduler must not be null.");
    } = DefaultScheduler.Instance;

    /// <summary>
    /// Where the receiver's events (assignments, revocations, commit failures, pauses) and librdkafka's log lines and
    /// error events go (categories in <see cref="KafkaDiagnostics"/>). Default <see cref="NullLoggerFactory.Instance"/>:
    /// nothing is written anywhere, in particular nothing raw on stderr (librdkafka's default).
    /// </summary>
    public ILoggerFactory LoggerFactory
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(LoggerFactory), "ReceiverOptions.LoggerFactory must not be null (leave it unset for none).");
    } = NullLoggerFactory.Instance;

    /// <summary>Checks the rules between options; called by <see cref="KafkaReceiver.Create{TKey, TValue}"/>.</summary>
    internal void Validate()
    {
        ClientPropertyChecks.RequireBootstrapServers(ConsumerProperties, "ReceiverOptions", nameof(ConsumerProperties));
        var kinds = (Topics is null ? 0 : 1) + (TopicPattern is null ? 0 : 1) + (Assignment is null ? 0 : 1);
        if (kinds != 1)
        {
            throw new ArgumentException(
                "ReceiverOptions must set exactly one of Topics, TopicPattern and Assignment" + (kinds == 0 ? " (none is set)." : $" ({kinds} are set)."),
                nameof(Topics));
        }
    }

    private static ReadOnlyDictionary<string, string> Copy(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties, nameof(ConsumerProperties));
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in properties)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new ArgumentException("ReceiverOptions.ConsumerProperties contains an empty property name.", nameof(ConsumerProperties));
            }

            copy[key] = value ?? throw new ArgumentException($"ReceiverOptions.ConsumerProperties '{key}' has no value.", nameof(ConsumerProperties));
        }

        foreach (var owned in OwnedProperties)
        {
            if (copy.TryGetValue(owned, out var setting) && !(bool.TryParse(setting, out var enabled) && !enabled))
            {
                throw new ArgumentException(
                    $"ReceiverOptions.ConsumerProperties '{owned}={setting}' conflicts with the receiver: it stores and commits only acknowledged offsets itself, so '{owned}' may only be false (or left out).",
                    nameof(ConsumerProperties));
            }
        }

        if (!copy.TryGetValue("group.id", out var group) || string.IsNullOrWhiteSpace(group))
        {
            throw new ArgumentException("ReceiverOptions.ConsumerProperties 'group.id' is required: acknowledged offsets are committed to a consumer group.", nameof(ConsumerProperties));
        }

        return copy.AsReadOnly();
    }

    private static ReadOnlyCollection<string> CheckTopics(IReadOnlyList<string> topics)
    {
        if (topics.Count == 0)
        {
            throw new ArgumentException("ReceiverOptions.Topics must name at least one topic.", nameof(Topics));
        }

        foreach (var topic in topics)
        {
            if (string.IsNullOrWhiteSpace(topic))
            {
                throw new ArgumentException("ReceiverOptions.Topics contains an empty topic name.", nameof(Topics));
            }

            if (TopicNameProblem(topic) is { } problem)
            {
                throw new ArgumentException($"ReceiverOptions.Topics contains '{topic}', which is not a legal Kafka topic name: {problem}.", nameof(Topics));
            }
        }

        return topics.ToArray().AsReadOnly();
    }

    /// <summary>
    /// Why Kafka would refuse <paramref name="topic"/> as a topic name (its <c>Topic.validate</c> rules), or null. A
    /// subscription to such a name waits forever: librdkafka only reports the topic as unavailable, again and again.
    /// </summary>
    private static string? TopicNameProblem(string topic)
    {
        if (topic is "." or "..")
        {
            return "'.' and '..' are reserved";
        }

        if (topic.Length > 249)
        {
            return $"it has {topic.Length} characters, at most 249 are allowed";
        }

        foreach (var c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"'{c}' is not allowed (only ASCII letters, digits, '.', '_' and '-')";
            }
        }

        return null;
    }

    private static ReadOnlyCollection<TopicPartitionOffset> CheckAssignment(IReadOnlyList<TopicPartitionOffset> assignment)
    {
        if (assignment.Count == 0)
        {
            throw new ArgumentException("ReceiverOptions.Assignment must list at least one partition.", nameof(Assignment));
        }

        var seen = new HashSet<TopicPartition>();
        foreach (var partition in assignment)
        {
            if (partition is null || string.IsNullOrWhiteSpace(partition.Topic) || partition.Partition.Value < 0)
            {
                throw new ArgumentException("ReceiverOptions.Assignment contains a null entry, an empty topic or a negative partition.", nameof(Assignment));
            }

            if (!seen.Add(partition.TopicPartition))
            {
                throw new ArgumentException($"ReceiverOptions.Assignment lists {partition.TopicPartition} twice.", nameof(Assignment));
            }
        }

        return assignment.ToArray().AsReadOnly();
    }
}
