using System.Collections.ObjectModel;
using System.Reactive.Concurrency;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Sender.Internal;

namespace ReactiveKafka;

/// <summary>
/// How a <see cref="KafkaSender{TKey, TValue}"/> produces: the Confluent producer properties, the key and value
/// serializers, the in-flight bound, the error rule, the close timeout and the scheduler results are emitted on.
/// </summary>
/// <remarks>
/// <para>
/// Immutable: derive variations with <c>with</c> expressions. Every value is validated when it is set, so an
/// invalid options instance cannot exist: a bad value throws an <see cref="ArgumentException"/> whose
/// <see cref="ArgumentException.ParamName"/> names the option. Producer properties themselves are validated by
/// librdkafka when <see cref="KafkaSender.Create{TKey, TValue}(SenderOptions{TKey, TValue})"/> builds the producer.
/// </para>
/// <para>
/// Serializers default to Confluent's built-in ones for <see cref="string"/> (UTF-8), <see cref="byte"/>[],
/// <see cref="int"/>, <see cref="long"/>, <see cref="float"/>, <see cref="double"/> and <see cref="Null"/>; any other
/// type needs an explicit serializer.
/// </para>
/// </remarks>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed partial record SenderOptions<TKey, TValue>
{
    /// <summary>
    /// The default of <see cref="MaxInFlight"/>: 8192 records. A stream's throughput is at most about
    /// <c>MaxInFlight / round trip</c>, and librdkafka holds a batch up to <c>linger.ms</c> (default 5 ms) before
    /// sending it: measured on the bundled broker with 16-byte records, 512 in flight gave ~85 k records/s,
    /// 4096 ~530 k, 8192 ~590 k (the raw producer, unbounded, ~0.7–1.2 M).
    /// </summary>
    public const int DefaultMaxInFlight = 8192;

    /// <summary>The largest accepted <see cref="MaxInFlight"/>: librdkafka's own queue limit (10 million messages).</summary>
    public const int MaxMaxInFlight = 10_000_000;

    /// <summary>Creates options from a Confluent <see cref="ProducerConfig"/> (copied: later changes to it are not seen).</summary>
    /// <param name="producerConfig">The producer configuration, at least <c>bootstrap.servers</c>.</param>
    /// <param name="keySerializer">The key serializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueSerializer">The value serializer; null picks Confluent's built-in one for <typeparamref name="TValue"/>.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a serializer is missing for a type without a built-in one.</exception>
    [OverloadResolutionPriority(1)] // (config) and (config, null, null) pick the synchronous serializers
    public SenderOptions(ProducerConfig producerConfig, ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null)
        : this((IEnumerable<KeyValuePair<string, string>>)(producerConfig ?? throw new ArgumentNullException(nameof(producerConfig))), keySerializer, valueSerializer)
    {
    }

    /// <summary>Creates options from librdkafka producer properties (copied: later changes to the source are not seen).</summary>
    /// <param name="producerProperties">librdkafka producer properties, at least <c>bootstrap.servers</c>.</param>
    /// <param name="keySerializer">The key serializer; null picks Confluent's built-in one for <typeparamref name="TKey"/>.</param>
    /// <param name="valueSerializer">The value serializer; null picks Confluent's built-in one for <typeparamref name="TValue"/>.</param>
    /// <exception cref="ArgumentException">A property is invalid, or a serializer is missing for a type without a built-in one.</exception>
    [OverloadResolutionPriority(1)]
    public SenderOptions(IEnumerable<KeyValuePair<string, string>> producerProperties, ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null)
    {
        ProducerProperties = Copy(producerProperties);
        KeySerializer = keySerializer ?? DefaultSerializers.For<TKey>()
            ?? throw new ArgumentException($"SenderOptions.KeySerializer is required: {typeof(TKey)} has no built-in serializer.", nameof(KeySerializer));
        ValueSerializer = valueSerializer ?? DefaultSerializers.For<TValue>()
            ?? throw new ArgumentException($"SenderOptions.ValueSerializer is required: {typeof(TValue)} has no built-in serializer.", nameof(ValueSerializer));
    }

    /// <summary>
    /// The librdkafka producer properties (a read-only copy). <c>dotnet.producer.enable.delivery.reports</c> must not be
    /// false: results come from delivery reports.
    /// </summary>
    public IReadOnlyDictionary<string, string> ProducerProperties
    {
        get;
        init => field = Copy(value);
    }

    /// <summary>
    /// Serializes record keys. A serializer exception becomes that record's failure. Setting it clears
    /// <see cref="AsyncKeySerializer"/>; while that is set, this is its synchronous view (used by <c>DoOnProducer</c>).
    /// </summary>
    public ISerializer<TKey> KeySerializer
    {
        get;
        init
        {
            field = value ?? throw new ArgumentNullException(nameof(KeySerializer), "SenderOptions.KeySerializer must not be null.");
            _asyncKeySerializer = null;
        }
    }

    /// <summary>
    /// Serializes record values. A serializer exception becomes that record's failure. Setting it clears
    /// <see cref="AsyncValueSerializer"/>; while that is set, this is its synchronous view (used by <c>DoOnProducer</c>).
    /// </summary>
    public ISerializer<TValue> ValueSerializer
    {
        get;
        init
        {
            field = value ?? throw new ArgumentNullException(nameof(ValueSerializer), "SenderOptions.ValueSerializer must not be null.");
            _asyncValueSerializer = null;
        }
    }

    /// <summary>
    /// The most records of one <c>Send</c>/<c>SendAsync</c> stream that are handed to the producer and whose result
    /// has not yet been delivered downstream. A faster source waits for a permit: the observable path blocks the
    /// source's <c>OnNext</c>, the async path awaits. This bounds the memory a stream holds whatever its source's size
    /// or speed. Default <see cref="DefaultMaxInFlight"/>; from 1 to <see cref="MaxMaxInFlight"/>.
    /// </summary>
    public int MaxInFlight
    {
        get;
        init => field = value is >= 1 and <= MaxMaxInFlight
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxInFlight), value, $"SenderOptions.MaxInFlight must be from 1 to {MaxMaxInFlight}.");
    } = DefaultMaxInFlight;

    /// <summary>
    /// True (default): the first failed record ends the result sequence with its exception, once the records
    /// already in flight have their results; nothing after it is sent. False: every record gets a result (failures
    /// carry their exception) and the sequence completes when the source completes and every record has settled.
    /// </summary>
    public bool StopOnError { get; init; } = true;

    /// <summary>
    /// How long disposing the sender waits for records in flight to be acknowledged before failing them.
    /// Default 30 seconds; zero fails them at once; at most <see cref="int.MaxValue"/> milliseconds.
    /// </summary>
    public TimeSpan CloseTimeout
    {
        get;
        init => field = value >= TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(nameof(CloseTimeout), value, "SenderOptions.CloseTimeout must be from zero to int.MaxValue milliseconds.");
    } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The scheduler on which the observable API emits results (delivery reports arrive on librdkafka's poll thread,
    /// which must never be blocked, so results are handed to this scheduler in order). Default
    /// <see cref="DefaultScheduler.Instance"/> (the thread pool). It must not be the single thread the source produces
    /// on: the source waits for permits that are released as results are emitted. A stream that has emitted 1,024
    /// results moves its emission to a long-running thread of this scheduler when it has one
    /// (<see cref="ISchedulerLongRunning"/>, as the default does), so that a lasting stream at a low rate does not wake a
    /// thread-pool worker for every few results.
    /// The async API ignores it: results are returned to the awaiting consumer.
    /// </summary>
    public IScheduler Scheduler
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Scheduler), "SenderOptions.Scheduler must not be null.");
    } = DefaultScheduler.Instance;

    /// <summary>
    /// Where the sender's events and librdkafka's log lines and error events go (categories in
    /// <see cref="KafkaDiagnostics"/>). Default <see cref="NullLoggerFactory.Instance"/>: nothing is written anywhere, in
    /// particular nothing raw on stderr (librdkafka's default).
    /// </summary>
    public ILoggerFactory LoggerFactory
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(LoggerFactory), "SenderOptions.LoggerFactory must not be null (leave it unset for none).");
    } = NullLoggerFactory.Instance;

    /// <summary>
    /// The producer's <c>transactional.id</c>: required by <see cref="KafkaSender{TKey, TValue}.TransactionManager"/> and
    /// <see cref="KafkaSender{TKey, TValue}.SendTransactionally{TCorrelation}"/> (without it they throw an
    /// <see cref="InvalidOperationException"/> naming this option). Setting it makes the producer idempotent and
    /// transactional; a second sender with the same id fences this one (its transactional calls then fail with
    /// <see cref="ErrorCode.Local_Fenced"/> or <see cref="ErrorCode.ProducerFenced"/>). Null (default) when the
    /// producer properties do not set <c>transactional.id</c> either. Must not be empty or whitespace.
    /// </summary>
    public string? TransactionalId
    {
        get => field ?? (ProducerProperties.TryGetValue(TransactionalIdProperty, out var id) ? id : null);
        init => field = value is null || !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new ArgumentException("SenderOptions.TransactionalId must not be empty or whitespace (leave it null for a non-transactional sender).", nameof(TransactionalId));
    }

    /// <summary>
    /// How long one transactional call (<c>InitTransactions</c>, <c>BeginAsync</c>, <c>SendOffsetsAsync</c>,
    /// <c>CommitAsync</c>, <c>AbortAsync</c>) may take, retries of retriable errors included, before it fails.
    /// Default 30 seconds; from 1 ms to int.MaxValue milliseconds.
    /// </summary>
    public TimeSpan TransactionOperationTimeout
    {
        get;
        init => field = value >= TimeSpan.FromMilliseconds(1) && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(nameof(TransactionOperationTimeout), value, "SenderOptions.TransactionOperationTimeout must be from 1 ms to int.MaxValue milliseconds.");
    } = TimeSpan.FromSeconds(30);

    internal const string TransactionalIdProperty = "transactional.id";

    /// <summary>Checks the rules between options; called by <see cref="KafkaSender.Create{TKey, TValue}"/>.</summary>
    internal void Validate()
    {
        ClientPropertyChecks.RequireBootstrapServers(ProducerProperties, "SenderOptions", nameof(ProducerProperties));
        if (ProducerProperties.TryGetValue(TransactionalIdProperty, out var property) && !string.Equals(property, TransactionalId, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"SenderOptions.TransactionalId '{TransactionalId}' and ProducerProperties 'transactional.id={property}' differ: set one of them.",
                nameof(TransactionalId));
        }
    }

    private static ReadOnlyDictionary<string, string> Copy(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties, nameof(ProducerProperties));
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in properties)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new ArgumentException("SenderOptions.ProducerProperties contains an empty property name.", nameof(ProducerProperties));
            }

            if (value is null)
            {
                throw new ArgumentException($"SenderOptions.ProducerProperties '{key}' has no value.", nameof(ProducerProperties));
            }

            copy[key] = value;
        }

        if (copy.TryGetValue("dotnet.producer.enable.delivery.reports", out var reports) && !bool.TryParse(reports, out var enabled) | !enabled)
        {
            throw new ArgumentException(
                "SenderOptions.ProducerProperties 'dotnet.producer.enable.delivery.reports' must be true: the sender's results are delivery reports.",
                nameof(ProducerProperties));
        }

        return copy.AsReadOnly();
    }
}
