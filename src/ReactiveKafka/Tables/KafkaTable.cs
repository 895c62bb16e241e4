using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reactive.Subjects;
using Confluent.Kafka;
using ReactiveKafka.Tables.Internal;

namespace ReactiveKafka;

/// <summary>
/// A local key → value view of a compacted topic (a cache, or a state store's restore): reads every partition from
/// the beginning, applies each record (a tombstone removes its key), stays current, answers lookups, says when it has
/// caught up with what the topic held at start, and exposes every change as an <see cref="IObservable{T}"/>.
/// </summary>
/// <remarks>
/// <para>
/// A table reads with its own consumer on a dedicated thread, assigned every partition (no group, no commits): each
/// start, after a restart of the process or the broker too, rebuilds the view from the topic, which compaction keeps
/// at about one record per key. Lookups are thread-safe and never wait for the reader.
/// </para>
/// <para>
/// <see cref="Changes"/> is hot: a subscriber sees the changes applied after it subscribed, on the reader thread (a
/// slow subscriber slows the table; one that throws stops it). A record that cannot be deserialized stops the table: <see cref="Changes"/> and
/// <see cref="WhenCaughtUpAsync"/> fail with a <see cref="ConsumeException"/> naming it, and lookups keep answering
/// from the view as it was.
/// </para>
/// </remarks>
/// <example>
/// <code language="csharp"><![CDATA[
/// await using var prices = await KafkaTable<string, string>.StartAsync(
///     new KafkaTableOptions<string, string>(new ConsumerConfig { BootstrapServers = "127.0.0.1:9092" }, "prices"));
/// await prices.WhenCaughtUpAsync();
/// using var log = prices.Changes.Subscribe(c => Console.WriteLine($"{c.Kind} {c.Key}: {c.NewValue}"));
/// if (prices.TryGetValue("sku-1", out var price)) { /* ... */ }
/// ]]></code>
/// </example>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class KafkaTable<TKey, TValue> : IAsyncDisposable, IDisposable
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _view;
    private readonly Subject<TableChange<TKey, TValue>> _changes = new();
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly Dictionary<int, long> _pendingCatchUp;
    private volatile bool _stopping;
    private long _applied;

    private KafkaTable(KafkaTableOptions<TKey, TValue> options, IConsumer<byte[], byte[]> consumer, Dictionary<int, long> pendingCatchUp)
    {
        Options = options;
        _view = new ConcurrentDictionary<TKey, TValue>(options.KeyComparer ?? EqualityComparer<TKey>.Default);
        _consumer = consumer;
        _pendingCatchUp = pendingCatchUp;
        if (_pendingCatchUp.Count == 0)
        {
            _caughtUp.TrySetResult();
        }

        new Thread(Read) { IsBackground = true, Name = $"KafkaTable {options.Topic}" }.Start();
    }

    /// <summary>The options.</summary>
    public KafkaTableOptions<TKey, TValue> Options { get; }

    /// <summary>True once the table has applied everything the topic held when it started.</summary>
    public bool IsCaughtUp => _caughtUp.Task.IsCompletedSuccessfully;

    /// <summary>How many keys the table holds.</summary>
    public int Count => _view.Count;

    /// <summary>How many records the table has applied since it started.</summary>
    public long AppliedRecords => Interlocked.Read(ref _applied);

    /// <summary>Every change applied from now on (hot), on the reader thread; completes when the table is disposed, fails when it stops on an error.</summary>
    public IObservable<TableChange<TKey, TValue>> Changes => _changes;

    /// <summary>
    /// Starts a table: checks that the topic exists and is compacted, assigns every partition from the beginning and
    /// starts reading. Returns at once; await <see cref="WhenCaughtUpAsync"/> for the restored view.
    /// </summary>
    /// <param name="options">The consumer configuration and the topic.</param>
    /// <param name="cancellationToken">Stops waiting for the checks.</param>
    /// <returns>The running table.</returns>
    /// <exception cref="InvalidOperationException">The topic does not exist or is not compacted (the message names it and its cleanup.policy).</exception>
    public static async Task<KafkaTable<TKey, TValue>> StartAsync(KafkaTableOptions<TKey, TValue> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new ConsumerConfig(options.ConsumerConfig.ToDictionary(p => p.Key, p => p.Value))
        {
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,
        };
        if (string.IsNullOrWhiteSpace(config.BootstrapServers))
        {
            throw new ArgumentException("KafkaTableOptions.ConsumerConfig needs bootstrap.servers.", nameof(options));
        }

        config.GroupId ??= "reactivekafka-table-" + Guid.NewGuid().ToString("N");
        var partitions = await CompactedTopicCheck.RequireCompactedAsync(config.BootstrapServers, options.Topic, cancellationToken).ConfigureAwait(false);
        var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        try
        {
            var pending = new Dictionary<int, long>();
            for (var p = 0; p < partitions; p++)
            {
                var marks = consumer.QueryWatermarkOffsets(new TopicPartition(options.Topic, p), TimeSpan.FromSeconds(30));
                if (marks.High.Value > marks.Low.Value)
                {
                    pending[p] = marks.High.Value;
                }
            }

            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(options.Topic, p, Offset.Beginning)));
            return new KafkaTable<TKey, TValue>(options, consumer, pending);
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>Completes once the table has applied everything the topic held when it started.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task completing when caught up; it fails when the table stopped on an error first.</returns>
    public Task WhenCaughtUpAsync(CancellationToken cancellationToken = default) => _caughtUp.Task.WaitAsync(cancellationToken);

    /// <summary>Looks a key up.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">Its current value, when it has one.</param>
    /// <returns>True when the key has a value.</returns>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value) => _view.TryGetValue(key, out value);

    /// <summary>A copy of the whole view now.</summary>
    /// <returns>The keys and values.</returns>
    public IReadOnlyDictionary<TKey, TValue> Snapshot() => new Dictionary<TKey, TValue>(_view, _view.Comparer);

    /// <summary>Stops reading (within about one poll timeout), closes the consumer and completes <see cref="Changes"/>.</summary>
    public void Dispose()
    {
        _stopping = true;
        _stopped.Task.Wait(TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the table as <see cref="Dispose"/> does, without blocking the caller.</summary>
    /// <returns>A task completing when the consumer is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await _stopped.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    private void Read()
    {
        Exception? failure = null;
        try
        {
            while (!_stopping)
            {
                var result = _consumer.Consume(Options.PollTimeout);
                if (result is null)
                {
                    continue;
                }

                if (result.IsPartitionEOF)
                {
                    Reached(result.Partition.Value, result.Offset.Value);
                    continue;
                }

                Apply(result);
                Reached(result.Partition.Value, result.Offset.Value + 1);
            }
        }
        catch (Exception error)
        {
            failure = error;
        }

        try
        {
            _consumer.Close();
        }
        catch (KafkaException)
        {
            // Closing an assigned consumer without a group leaves nothing behind.
        }
        finally
        {
            _consumer.Dispose();
        }

        if (failure is null)
        {
            _caughtUp.TrySetException(new ObjectDisposedException(nameof(KafkaTable<TKey, TValue>), "The table was disposed before it caught up."));
            _changes.OnCompleted();
        }
        else
        {
            _caughtUp.TrySetException(failure);
            _changes.OnError(failure);
        }

        _stopped.TrySetResult();
    }

    private void Apply(ConsumeResult<byte[], byte[]> result)
    {
        TKey key;
        TValue? value = default;
        var message = result.Message;
        var tombstone = message.Value is null;
        try
        {
            key = Options.KeyDeserializer.Deserialize(message.Key, message.Key is null, new SerializationContext(MessageComponentType.Key, result.Topic, message.Headers));
            if (!tombstone)
            {
                value = Options.ValueDeserializer.Deserialize(message.Value, false, new SerializationContext(MessageComponentType.Value, result.Topic, message.Headers));
            }
        }
        catch (Exception error)
        {
            throw new ConsumeException(result, new Error(ErrorCode.Local_ValueDeserialization, $"KafkaTable {result.TopicPartitionOffset}: the record cannot be deserialized ({error.Message}); the table stops here."), error);
        }

        if (key is null)
        {
            // A record without a key has no place in a table (compaction drops such records too).
            return;
        }

        var restoring = !IsCaughtUp;
        TableChange<TKey, TValue> change;
        if (tombstone)
        {
            if (!_view.TryRemove(key, out var old))
            {
                Interlocked.Increment(ref _applied);
                return;
            }

            change = new TableChange<TKey, TValue>(TableChangeKind.Deleted, key, old, default, result.TopicPartitionOffset, restoring);
        }
        else
        {
            var had = _view.TryGetValue(key, out var old);
            _view[key] = value!;
            change = new TableChange<TKey, TValue>(had ? TableChangeKind.Updated : TableChangeKind.Inserted, key, had ? old : default, value, result.TopicPartitionOffset, restoring);
        }

        Interlocked.Increment(ref _applied);
        _changes.OnNext(change);
    }

    private void Reached(int partition, long position)
    {
        if (_pendingCatchUp.TryGetValue(partition, out var high) && position >= high)
        {
            _pendingCatchUp.Remove(partition);
            if (_pendingCatchUp.Count == 0)
            {
                _caughtUp.TrySetResult();
            }
        }
    }
}
