using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Tests.Receiver;
using Xunit;

namespace ReactiveKafka.Tests.ErrorHandling;

/// <summary>Non-blocking retry topics and the dead-letter topic of <see cref="RetryTopicProcessor{TKey, TValue}"/>, over the bundled broker.</summary>
public sealed class RetryTopicTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    /// <summary>The stated accuracy of a retry topic's delay: never early, at most this late.</summary>
    internal static readonly TimeSpan DelayTolerance = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_record_that_fails_once_is_retried_from_the_first_retry_topic_and_then_processed()
    {
        var (options, topic) = await CreateAsync(partitions: 1, delays: [TimeSpan.FromMilliseconds(300)]);
        ReceiverTestKit.Produce(broker, topic, 3);
        var attemptsOfV1 = new ConcurrentQueue<int>();
        var processor = new RetryTopicProcessor<string, string>(options, (record, _) =>
        {
            if (record.Value == "v1")
            {
                attemptsOfV1.Enqueue(record.Attempt);
                if (!record.IsRetry)
                {
                    throw new TimeoutException("downstream timed out");
                }
            }

            return ValueTask.CompletedTask;
        });

        var results = await RunUntilAsync(processor, r => r.Count(x => x.Outcome == RecordOutcome.Processed) == 3);

        var retried = Assert.Single(results, r => r.Outcome == RecordOutcome.Retried);
        Assert.Equal(new TopicPartitionOffset(topic, 0, 1), retried.Original);
        Assert.Equal(topic + ".retry.1", retried.WrittenTo!.Topic);
        var again = Assert.Single(results, r => r.Source.Topic == topic + ".retry.1");
        Assert.Equal(RecordOutcome.Processed, again.Outcome);
        Assert.Equal(new TopicPartitionOffset(topic, 0, 1), again.Original);
        Assert.Equal(2, again.Attempts);
        Assert.Equal([1, 2], attemptsOfV1);
        await ReceiverTestKit.WaitUntil(
            () => ReceiverTestKit.Committed(broker, options.ConsumerConfig.GroupId, topic)[0] == 3
                && ReceiverTestKit.Committed(broker, options.ConsumerConfig.GroupId, topic + ".retry.1")[0] == 1,
            Timeout, "the topic and its retry topic committed");
    }

    [Fact]
    public async Task A_record_failing_every_retry_ends_in_the_dead_letter_topic_with_the_headers()
    {
        var (options, topic) = await CreateAsync(partitions: 1, delays: [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)]);
        options = options with { InPlace = new RetryPolicy { MaxAttempts = 2, Delay = TimeSpan.FromMilliseconds(5) } };
        ReceiverTestKit.Produce(broker, topic, 1);
        var processor = new RetryTopicProcessor<string, string>(options, (_, _) => throw new InvalidDataException("order k0 is corrupt"));

        var results = await RunUntilAsync(processor, r => r.Any(x => x.Outcome == RecordOutcome.DeadLettered));

        Assert.Equal([RecordOutcome.Retried, RecordOutcome.Retried, RecordOutcome.DeadLettered], results.Select(r => r.Outcome));
        Assert.Equal([2, 4, 6], results.Select(r => r.Attempts));
        var dead = Assert.Single(broker.Consume(options.DeadLetterTopic, 1));
        var produced = Assert.Single(broker.Consume(topic, 1));
        Assert.Equal("k0", Encoding.UTF8.GetString(dead.Message.Key));
        Assert.Equal("v0", Encoding.UTF8.GetString(dead.Message.Value));
        var headers = dead.Message.Headers;
        Assert.Equal(topic, DeadLetterHeaders.GetString(headers, DeadLetterHeaders.OriginalTopic));
        Assert.Equal(0, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalPartition));
        Assert.Equal(0, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalOffset));
        Assert.Equal(produced.Message.Timestamp.UnixTimestampMs, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalTimestamp));
        Assert.Equal(6, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.Attempts));
        Assert.Equal(typeof(InvalidDataException).FullName, DeadLetterHeaders.GetString(headers, DeadLetterHeaders.ExceptionType));
        Assert.Equal("order k0 is corrupt", DeadLetterHeaders.GetString(headers, DeadLetterHeaders.ExceptionMessage));
        Assert.Null(DeadLetterHeaders.GetString(headers, DeadLetterHeaders.RetryDue));
        Assert.Single(headers, h => h.Key == DeadLetterHeaders.Attempts);
    }

    [Fact]
    public async Task Retry_topics_honour_their_delay_within_the_tolerance_without_holding_other_partitions()
    {
        var delay = TimeSpan.FromSeconds(3);
        var (options, topic) = await CreateAsync(partitions: 2, delays: [delay]);
        var processor = new RetryTopicProcessor<string, string>(options, (record, _) =>
            record.Value.StartsWith("fail", StringComparison.Ordinal) && !record.IsRetry ? throw new TimeoutException("later") : ValueTask.CompletedTask);
        var results = new ConcurrentQueue<RetryTopicResult>();
        using var running = processor.Run().Subscribe(results.Enqueue);

        // Three failures a little apart on both partitions, then ordinary records while they wait.
        using var producer = new ProducerBuilder<string, string>(broker.ProducerConfig()).Build();
        for (var i = 0; i < 3; i++)
        {
            await producer.ProduceAsync(new TopicPartition(topic, i % 2), new Message<string, string> { Key = "f" + i, Value = "fail" + i }, TestContext.Current.CancellationToken);
            await Task.Delay(150, TestContext.Current.CancellationToken);
        }

        await ReceiverTestKit.WaitUntil(() => results.Count(r => r.Outcome == RecordOutcome.Retried) == 3, Timeout, "three records moved to the retry topic");
        for (var i = 0; i < 10; i++)
        {
            await producer.ProduceAsync(new TopicPartition(topic, i % 2), new Message<string, string> { Key = "k" + i, Value = "v" + i }, TestContext.Current.CancellationToken);
        }

        await ReceiverTestKit.WaitUntil(() => results.Count(r => r.Outcome == RecordOutcome.Processed) == 13, Timeout, () => $"13 processed, {results.Count} results");

        var retries = results.Where(r => r.Source.Topic == options.RetryTopics[0]).ToList();
        Assert.Equal(3, retries.Count);
        var firstDue = retries.Min(r => r.Due!.Value);
        foreach (var retry in retries)
        {
            var late = retry.At - retry.Due!.Value;
            Assert.InRange(late, TimeSpan.Zero, DelayTolerance);
        }

        // The ordinary records, on both partitions, did not wait for the retries.
        var ordinary = results.Where(r => r.Source.Topic == topic && r.Outcome == RecordOutcome.Processed).ToList();
        Assert.Equal(10, ordinary.Count);
        Assert.All(ordinary, r => Assert.True(r.At < firstDue, $"{r.Source} processed at {r.At:O}, after the first retry was due ({firstDue:O})"));
        TestContext.Current.TestOutputHelper?.WriteLine($"retry lateness ms: {string.Join(", ", retries.Select(r => (r.At - r.Due!.Value).TotalMilliseconds.ToString("0")))}");
    }

    [Fact]
    public async Task A_poison_record_goes_to_the_dead_letter_topic_and_processing_goes_on()
    {
        var (options, topic) = await CreateAsync(partitions: 1, delays: [TimeSpan.FromMilliseconds(100)]);
        options = options with { ValueDeserializer = new StrictDeserializer() };
        ReceiverTestKit.ProduceRaw(broker, topic, [0xff, 0xfe]);
        ReceiverTestKit.Produce(broker, topic, 1);
        var processed = new ConcurrentQueue<string>();
        var processor = new RetryTopicProcessor<string, string>(options, (record, _) =>
        {
            processed.Enqueue(record.Value);
            return ValueTask.CompletedTask;
        });

        var results = await RunUntilAsync(processor, r => r.Count == 2);

        Assert.True(results[0].IsPoison);
        Assert.Equal(RecordOutcome.DeadLettered, results[0].Outcome);
        Assert.Equal(0, results[0].Attempts);
        Assert.Equal(["v0"], processed);
        var dead = Assert.Single(broker.Consume(options.DeadLetterTopic, 1));
        Assert.Equal([0xff, 0xfe], dead.Message.Value);
        Assert.Equal(0, DeadLetterHeaders.GetInt64(dead.Message.Headers, DeadLetterHeaders.Attempts));
        Assert.Equal(typeof(DecoderFallbackException).FullName, DeadLetterHeaders.GetString(dead.Message.Headers, DeadLetterHeaders.ExceptionType));
    }

    [Fact]
    public async Task A_poison_record_ends_the_processing_naming_it_when_poison_records_are_not_dead_lettered()
    {
        var (options, topic) = await CreateAsync(partitions: 1, delays: [TimeSpan.FromMilliseconds(100)]);
        options = options with { ValueDeserializer = new StrictDeserializer(), DeadLetterPoisonRecords = false };
        ReceiverTestKit.ProduceRaw(broker, topic, [0xff, 0xfe]);
        var processor = new RetryTopicProcessor<string, string>(options, (_, _) => ValueTask.CompletedTask);

        var error = await Assert.ThrowsAsync<ConsumeException>(() => RunUntilAsync(processor, _ => false));

        Assert.Equal(ErrorCode.Local_ValueDeserialization, error.Error.Code);
        Assert.Contains($"{topic} [[0]] @0", error.Message);
        Assert.Contains("DeadLetterPoisonRecords", error.Message);
    }

    [Fact]
    public async Task A_retry_topic_that_does_not_exist_fails_the_run_naming_it()
    {
        var topic = await broker.CreateTopicAsync();
        var options = new RetryTopicOptions<string, string>(ReceiverTestKit.ConsumerConfig(broker), broker.ProducerConfig(), topic)
        {
            RetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)],
        };
        await CreateTopicAsync(options.RetryTopics[0], 1);
        await CreateTopicAsync(options.DeadLetterTopic, 1);
        var processor = new RetryTopicProcessor<string, string>(options, (_, _) => ValueTask.CompletedTask);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunUntilAsync(processor, _ => false));

        Assert.Contains($"retry topic 2 of '{topic}' '{topic}.retry.2' does not exist", error.Message);
    }

    [Fact]
    public async Task With_key_order_preserved_later_records_of_a_key_wait_for_its_retry_and_other_keys_go_on()
    {
        var (options, topic) = await CreateAsync(partitions: 1, delays: [TimeSpan.FromMilliseconds(700)]);
        options = options with { PreserveKeyOrder = true };
        var order = new ConcurrentQueue<string>();
        var failedOnce = 0;
        var processor = new RetryTopicProcessor<string, string>(options, (record, _) =>
        {
            if (record.Value == "a1" && Interlocked.Exchange(ref failedOnce, 1) == 0)
            {
                throw new TimeoutException("a1 first attempt");
            }

            order.Enqueue(record.Value);
            return ValueTask.CompletedTask;
        });
        await broker.Broker.ProduceAsync(topic, [("a", "a1"), ("a", "a2"), ("b", "b1"), ("a", "a3"), ("b", "b2")], TestContext.Current.CancellationToken);

        await RunUntilAsync(processor, r => r.Count(x => x.Outcome == RecordOutcome.Processed) == 5);

        Assert.Equal(["b1", "b2", "a1", "a2", "a3"], order);
        await ReceiverTestKit.WaitUntil(() => ReceiverTestKit.Committed(broker, options.ConsumerConfig.GroupId, topic)[0] == 5, Timeout, "all committed");
    }

    private async Task<(RetryTopicOptions<string, string> Options, string Topic)> CreateAsync(int partitions, TimeSpan[] delays)
    {
        var topic = await broker.CreateTopicAsync(partitions);
        var options = new RetryTopicOptions<string, string>(ReceiverTestKit.ConsumerConfig(broker), broker.ProducerConfig(), topic)
        {
            RetryDelays = delays,
            ConfigureReceiver = o => o with { CommitInterval = TimeSpan.FromMilliseconds(200) },
        };
        var created = await new RetryTopicProcessor<string, string>(options, (_, _) => ValueTask.CompletedTask).CreateMissingTopicsAsync(TestContext.Current.CancellationToken);
        Assert.Equal([.. options.RetryTopics, options.DeadLetterTopic], created);
        return (options, topic);
    }

    private async Task CreateTopicAsync(string name, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
        await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    private static async Task<List<RetryTopicResult>> RunUntilAsync(RetryTopicProcessor<string, string> processor, Func<List<RetryTopicResult>, bool> done)
    {
        var results = new List<RetryTopicResult>();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (processor.Run().Subscribe(
            r =>
            {
                lock (results)
                {
                    results.Add(r);
                    if (done(results))
                    {
                        finished.TrySetResult();
                    }
                }
            },
            e => finished.TrySetException(e)))
        {
            await finished.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        lock (results)
        {
            return [.. results];
        }
    }

    /// <summary>UTF-8 that throws on invalid bytes (Confluent's replaces them).</summary>
    private sealed class StrictDeserializer : IDeserializer<string>
    {
        private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

        public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? null! : Strict.GetString(data);
    }
}
