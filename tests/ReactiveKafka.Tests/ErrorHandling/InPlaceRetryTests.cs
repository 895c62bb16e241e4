using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Tests.Receiver;
using Xunit;

namespace ReactiveKafka.Tests.ErrorHandling;

/// <summary>In-place retry (Polly.Core) and the dead-letter operator, over the bundled broker.</summary>
public sealed class InPlaceRetryTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_record_that_fails_twice_is_retried_and_then_processed_and_committed()
    {
        var topic = await broker.CreateTopicAsync();
        ReceiverTestKit.Produce(broker, topic, 3);
        var group = "g-" + Guid.NewGuid().ToString("N");
        var receiver = KafkaReceiver.Create(ReceiverTestKit.Options(broker, topic, group));
        var failuresLeft = 2;
        var policy = new RetryPolicy { MaxAttempts = 3, Delay = TimeSpan.FromMilliseconds(20), Backoff = RetryBackoff.Constant };

        var results = await receiver.Receive()
            .ProcessWithRetry((record, _) => record.Value == "v1" && failuresLeft-- > 0 ? throw new TimeoutException("flaky") : ValueTask.CompletedTask, policy)
            .Take(3)
            .ToList()
            .ToTask(TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.Equal(RecordOutcome.Processed, r.Outcome));
        Assert.Equal([1, 3, 1], results.Select(r => r.Attempts));
        await ReceiverTestKit.WaitUntil(() => ReceiverTestKit.Committed(broker, group, topic)[0] == 3, Timeout, "offset 3 committed");
    }

    [Fact]
    public async Task Exhausted_attempts_go_to_the_dead_letter_topic_with_the_headers_before_the_record_is_acknowledged()
    {
        var topic = await broker.CreateTopicAsync();
        var deadLetters = await broker.CreateTopicAsync();
        ReceiverTestKit.Produce(broker, topic, 2);
        var group = "g-" + Guid.NewGuid().ToString("N");
        var receiver = KafkaReceiver.Create(ReceiverTestKit.Options(broker, topic, group));
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig()));
        var policy = new RetryPolicy { MaxAttempts = 2, Delay = TimeSpan.FromMilliseconds(10) };

        var results = await receiver.Receive()
            .ProcessWithRetry((record, _) => record.Value == "v0" ? throw new FormatException("bad order v0") : ValueTask.CompletedTask, policy)
            .DeadLetter(sender, deadLetters)
            .Take(2)
            .ToList()
            .ToTask(TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal([RecordOutcome.DeadLettered, RecordOutcome.Processed], results.Select(r => r.Outcome));
        Assert.Equal(deadLetters, results[0].WrittenTo!.Topic);
        var dead = Assert.Single(broker.Consume(deadLetters, 1));
        Assert.Equal("k0", Encoding.UTF8.GetString(dead.Message.Key));
        Assert.Equal("v0", Encoding.UTF8.GetString(dead.Message.Value));
        var headers = dead.Message.Headers;
        Assert.Equal(topic, DeadLetterHeaders.GetString(headers, DeadLetterHeaders.OriginalTopic));
        Assert.Equal(0, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalPartition));
        Assert.Equal(0, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalOffset));
        Assert.Equal(results[0].Record.Timestamp.UnixTimestampMs, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.OriginalTimestamp));
        Assert.Equal(2, DeadLetterHeaders.GetInt64(headers, DeadLetterHeaders.Attempts));
        Assert.Equal(typeof(FormatException).FullName, DeadLetterHeaders.GetString(headers, DeadLetterHeaders.ExceptionType));
        Assert.Equal("bad order v0", DeadLetterHeaders.GetString(headers, DeadLetterHeaders.ExceptionMessage));
        await ReceiverTestKit.WaitUntil(() => ReceiverTestKit.Committed(broker, group, topic)[0] == 2, Timeout, "offset 2 committed");
    }

    [Fact]
    public async Task An_exception_the_policy_does_not_retry_fails_after_one_attempt()
    {
        var topic = await broker.CreateTopicAsync();
        ReceiverTestKit.Produce(broker, topic, 1);
        var receiver = KafkaReceiver.Create(ReceiverTestKit.Options(broker, topic));
        var policy = new RetryPolicy { MaxAttempts = 5, ShouldRetry = e => e is TimeoutException };

        var result = await receiver.Receive()
            .ProcessWithRetry((_, _) => throw new ArgumentException("not transient"), policy)
            .FirstAsync()
            .ToTask(TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(RecordOutcome.Failed, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.False(result.Record.Offset.IsAcknowledged);
    }

    [Fact]
    public async Task A_dead_letter_topic_that_does_not_exist_fails_the_subscription_naming_it()
    {
        var topic = await broker.CreateTopicAsync();
        var receiver = KafkaReceiver.Create(ReceiverTestKit.Options(broker, topic));
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig()));
        var missing = "no-such-dlt-" + Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => receiver.Receive()
            .ProcessWithRetry((_, _) => ValueTask.CompletedTask, RetryPolicy.None)
            .DeadLetter(sender, missing)
            .FirstAsync()
            .ToTask(TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Contains($"dead-letter topic '{missing}' does not exist", error.Message);
    }

    [Fact]
    public void A_policy_with_zero_attempts_is_rejected_naming_the_option()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy { MaxAttempts = 0 });
        Assert.Equal(nameof(RetryPolicy.MaxAttempts), error.ParamName);
        Assert.Contains("zero attempts", error.Message);
    }

    [Fact]
    public async Task The_policy_waits_as_its_backoff_says()
    {
        var policy = new RetryPolicy { MaxAttempts = 3, Delay = TimeSpan.FromMilliseconds(100), Backoff = RetryBackoff.Exponential };
        var starts = new List<DateTime>();
        await Assert.ThrowsAsync<TimeoutException>(async () => await policy.ToPipeline().ExecuteAsync(_ =>
        {
            starts.Add(DateTime.UtcNow);
            throw new TimeoutException();
        }, TestContext.Current.CancellationToken));

        Assert.Equal(3, starts.Count);
        // 100 ms then 200 ms (exponential); a timer never fires early.
        Assert.InRange((starts[1] - starts[0]).TotalMilliseconds, 95, 1000);
        Assert.InRange((starts[2] - starts[1]).TotalMilliseconds, 195, 1500);
    }
}
