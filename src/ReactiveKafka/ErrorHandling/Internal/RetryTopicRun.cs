using System.Reactive;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Confluent.Kafka;
using Polly;

namespace ReactiveKafka.ErrorHandling.Internal;

/// <summary>
/// One subscription of <see cref="RetryTopicProcessor{TKey, TValue}.Run"/>: one receiver reading the topic and its
/// retry topics per partition (each partition its own ordered lane, so a lane waiting for a due time holds nobody
/// else), one sender writing retries and dead letters, and the key holds.
/// </summary>
internal sealed class RetryTopicRun<TKey, TValue> : IDisposable
{
    private readonly RetryTopicOptions<TKey, TValue> _options;
    private readonly Func<RetryingRecord<TKey, TValue>, CancellationToken, ValueTask> _handler;
    private readonly IObserver<RetryTopicResult> _observer;
    private readonly ResiliencePipeline _pipeline;
    private readonly Dictionary<string, int> _levels = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _retryTopics;
    private readonly KeyHolds _holds = new();
    private readonly CancellationTokenSource _stop = new();
    private KafkaSender<byte[], byte[]>? _sender;
    private KafkaReceiver<byte[], byte[]>? _receiver;
    private IDisposable? _subscription;
    private int _disposed;

    public RetryTopicRun(RetryTopicOptions<TKey, TValue> options, Func<RetryingRecord<TKey, TValue>, CancellationToken, ValueTask> handler, IObserver<RetryTopicResult> observer)
    {
        _options = options;
        _handler = handler;
        _observer = Observer.Synchronize(observer);
        // A failure that is not retriable skips the in-place attempts as well as the retry topics.
        var inPlace = options.InPlace;
        _pipeline = (inPlace with { ShouldRetry = error => inPlace.ShouldRetry(error) && options.IsRetriable(error) }).ToPipeline();
        _retryTopics = options.RetryTopics;
        _levels[options.Topic] = 0;
        for (var i = 0; i < _retryTopics.Count; i++)
        {
            _levels[_retryTopics[i]] = i + 1;
        }
    }

    public IDisposable Start()
    {
        try
        {
            _sender = KafkaSender.Create(new SenderOptions<byte[], byte[]>(_options.ProducerConfig));
            _sender.DoOnProducer(producer =>
            {
                using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
                return TopicChecks.RequireExisting(admin, [
                    (_options.Topic, "topic to process"),
                    .. _retryTopics.Select((t, i) => (t, $"retry topic {i + 1} of '{_options.Topic}'")),
                    (_options.DeadLetterTopic, $"dead-letter topic of '{_options.Topic}'"),
                ]);
            });
            var receiverOptions = new ReceiverOptions<byte[], byte[]>(_options.ConsumerConfig);
            receiverOptions = (_options.ConfigureReceiver?.Invoke(receiverOptions) ?? receiverOptions) with
            {
                Topics = [_options.Topic, .. _retryTopics],
                TopicPattern = null,
                Assignment = null,
            };
            _receiver = KafkaReceiver.Create(receiverOptions);
            _subscription = _receiver.ReceivePerPartition()
                .SelectMany(partition => partition
                    .Select(record => Observable.FromAsync(cancellationToken => HandleAsync(record, cancellationToken)))
                    .Concat())
                .Subscribe(static _ => { }, _observer.OnError, _observer.OnCompleted);
            return this;
        }
        catch (Exception error)
        {
            _sender?.Dispose();
            _observer.OnError(error);
            return Disposable.Empty;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _subscription?.Dispose();
        _sender?.Dispose();
        _stop.Dispose();
    }

    private async Task<Unit> HandleAsync(ReceiverRecord<byte[], byte[]> record, CancellationToken cancellationToken)
    {
        var level = _levels[record.Topic];
        var headers = record.Headers ?? [];
        var original = record.TopicPartitionOffset;
        var originalTimestamp = record.Timestamp;
        var before = 0;
        DateTimeOffset? due = null;
        if (level > 0)
        {
            original = new TopicPartitionOffset(
                DeadLetterHeaders.GetString(headers, DeadLetterHeaders.OriginalTopic) ?? record.Topic,
                new Partition((int)(DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalPartition) ?? record.Partition.Value)),
                new Offset(DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalOffset) ?? record.Offset.Value));
            originalTimestamp = DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalTimestamp) is { } ms ? new Timestamp(ms, TimestampType.CreateTime) : record.Timestamp;
            before = (int)(DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.Attempts) ?? 0);
            if (DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.RetryDue) is { } dueMs)
            {
                due = DateTimeOffset.FromUnixTimeMilliseconds(dueMs);
                await WaitUntilDueAsync(record.TopicPartition, due.Value, cancellationToken).ConfigureAwait(false);
            }
        }

        var keyId = record.Key is null ? null : Convert.ToHexString(record.Key);
        TKey key;
        TValue value;
        try
        {
            key = _options.KeyDeserializer.Deserialize(record.Key, record.Key is null, new SerializationContext(MessageComponentType.Key, record.Topic, headers));
        }
        catch (Exception error)
        {
            await PoisonAsync(record, level, keyId, original, originalTimestamp, before, error, ErrorCode.Local_KeyDeserialization, due, cancellationToken).ConfigureAwait(false);
            return Unit.Default;
        }

        try
        {
            value = _options.ValueDeserializer.Deserialize(record.Value, record.Value is null, new SerializationContext(MessageComponentType.Value, record.Topic, headers));
        }
        catch (Exception error)
        {
            await PoisonAsync(record, level, keyId, original, originalTimestamp, before, error, ErrorCode.Local_ValueDeserialization, due, cancellationToken).ConfigureAwait(false);
            return Unit.Default;
        }

        var retrying = new RetryingRecord<TKey, TValue>(key, value, headers, record.TopicPartitionOffset, original, originalTimestamp, before + 1);
        if (level == 0 && _options.PreserveKeyOrder && keyId is not null
            && _holds.TryEnqueue(keyId, () => ProcessAsync(record, retrying, level, keyId, held: true, due, _stop.Token)))
        {
            // Waits (unacknowledged) behind the key's record in retry; its lane goes on with the next record.
            return Unit.Default;
        }

        await ProcessAsync(record, retrying, level, keyId, held: false, due, cancellationToken).ConfigureAwait(false);
        return Unit.Default;
    }

    private async Task ProcessAsync(
        ReceiverRecord<byte[], byte[]> record, RetryingRecord<TKey, TValue> retrying, int level, string? keyId, bool held, DateTimeOffset? due, CancellationToken cancellationToken)
    {
        var before = retrying.Attempt - 1;
        var attempts = 0;
        Exception? failure = null;
        try
        {
            await _pipeline.ExecuteAsync(
                async token =>
                {
                    retrying.Attempt = before + ++attempts;
                    await _handler(retrying, token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            failure = error;
        }

        var chainedKey = (level > 0 || held) && _options.PreserveKeyOrder ? keyId : null;
        if (failure is null)
        {
            record.Offset.Acknowledge();
            _observer.OnNext(new RetryTopicResult(RecordOutcome.Processed, record.TopicPartitionOffset, retrying.Original, before + attempts, null, null) { Due = due });
            Released(chainedKey);
            return;
        }

        var toRetry = level < _retryTopics.Count && _options.IsRetriable(failure);
        var next = toRetry ? _retryTopics[level] : _options.DeadLetterTopic;
        if (toRetry && _options.PreserveKeyOrder && keyId is not null)
        {
            // Before the write: the retry may be read and finish before this method returns.
            _holds.Hold(keyId);
        }

        var nextDue = toRetry ? DateTimeOffset.UtcNow + _options.RetryDelays[level] : (DateTimeOffset?)null;
        var written = await WriteAsync(record, next, retrying.Original, retrying.OriginalTimestamp, before + attempts, failure, nextDue, cancellationToken).ConfigureAwait(false);
        _observer.OnNext(new RetryTopicResult(toRetry ? RecordOutcome.Retried : RecordOutcome.DeadLettered, record.TopicPartitionOffset, retrying.Original, before + attempts, failure, written) { Due = due });
        if (!toRetry)
        {
            Released(chainedKey);
        }
    }

    private async Task PoisonAsync(
        ReceiverRecord<byte[], byte[]> record, int level, string? keyId, TopicPartitionOffset original, Timestamp originalTimestamp, int before,
        Exception error, ErrorCode code, DateTimeOffset? due, CancellationToken cancellationToken)
    {
        if (!_options.DeadLetterPoisonRecords)
        {
            throw new ConsumeException(
                record.ConsumeResult,
                new Error(code, $"{record.TopicPartitionOffset}: the {(code == ErrorCode.Local_KeyDeserialization ? "key" : "value")} cannot be deserialized ({error.Message}); RetryTopicOptions.DeadLetterPoisonRecords is false, so processing stops here."),
                error);
        }

        var written = await WriteAsync(record, _options.DeadLetterTopic, original, originalTimestamp, before, error, null, cancellationToken).ConfigureAwait(false);
        _observer.OnNext(new RetryTopicResult(RecordOutcome.DeadLettered, record.TopicPartitionOffset, original, before, error, written) { Due = due, IsPoison = true });
        Released(level > 0 && _options.PreserveKeyOrder ? keyId : null);
    }

    private async Task<TopicPartitionOffset> WriteAsync(
        ReceiverRecord<byte[], byte[]> record, string topic, TopicPartitionOffset original, Timestamp originalTimestamp, int attempts, Exception error, DateTimeOffset? due, CancellationToken cancellationToken)
    {
        var headers = DeadLetterHeaders.Build(record.Headers, original, originalTimestamp.UnixTimestampMs, attempts, error, due);
        var sent = await _sender!.SendAsync(new SenderRecord<byte[], byte[], int>(topic, record.Key, record.Value, 0) { Headers = headers }, cancellationToken).ConfigureAwait(false);
        if (sent.Exception is { } failure)
        {
            throw failure;
        }

        // Only once the write is acknowledged: a crash before this line reads the record again (never lost; at worst
        // written twice).
        record.Offset.Acknowledge();
        return sent.TopicPartitionOffset;
    }

    private void Released(string? keyId)
    {
        if (keyId is null || _holds.Release(keyId) is not { } next)
        {
            return;
        }

        // The next waiting record of the key runs outside the lanes (its own lane has moved on); failures end the run.
        _ = Task.Run(async () =>
        {
            try
            {
                if (!_stop.IsCancellationRequested)
                {
                    await next().ConfigureAwait(false);
                }
            }
            catch (Exception error) when (!_stop.IsCancellationRequested)
            {
                _observer.OnError(error);
            }
            catch (Exception)
            {
                // Stopped: the record stays unacknowledged and is read again by the partition's next reader.
            }
        });
    }

    private async Task WaitUntilDueAsync(TopicPartition partition, DateTimeOffset due, CancellationToken cancellationToken)
    {
        var wait = due - DateTimeOffset.UtcNow;
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        // Pausing stops the fetching of this partition only (the receiver keeps polling the others); the wait is a
        // timer, so no thread sleeps, and records already fetched wait in this lane's queue.
        await _receiver!.PauseAsync([partition]).ConfigureAwait(false);
        try
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                await _receiver.ResumeAsync([partition]).ConfigureAwait(false);
            }
        }
    }
}
