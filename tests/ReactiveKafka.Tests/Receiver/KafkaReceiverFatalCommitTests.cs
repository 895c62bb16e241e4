using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Testing;
using Xunit;
using static ReactiveKafka.Tests.Receiver.ReceiverTestKit;

namespace ReactiveKafka.Tests.Receiver;

/// <summary>A commit the broker refuses for good ends the sequence with that error at once, without retries.</summary>
public sealed class KafkaReceiverFatalCommitTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Receive_CommitRefusedWithANonRetriableError_SequenceEndsWithThatError()
    {
        if (broker.Broker.Kind != KafkaTestBrokerKind.Bundled)
        {
            Assert.Skip("The refusal is injected with fault injection, which needs the bundled broker.");
        }

        var topic = await broker.CreateTopicAsync();
        Produce(broker, topic, 5);
        var options = Options(broker, topic) with { MaxCommitAttempts = 5 };
        var receiver = KafkaReceiver.Create(options);
        var acknowledged = 0;
        var armed = false;

        var error = await Assert.ThrowsAsync<KafkaException>(async () => await receiver.Receive()
            .Do(record =>
            {
                if (!armed)
                {
                    armed = true;
                    broker.Broker.Faults.FailNext(KafkaApi.OffsetCommit, ErrorCode.GroupAuthorizationFailed, count: 5, topic: topic);
                }

                record.Offset.Acknowledge();
                acknowledged++;
            })
            .LastAsync()
            .Timeout(Timeout));

        Assert.Equal(ErrorCode.GroupAuthorizationFailed, error.Error.Code);
        Assert.Contains("1 attempt", error.Message);
        Assert.Equal(5, acknowledged);
        broker.Broker.Faults.Clear();
    }
}
