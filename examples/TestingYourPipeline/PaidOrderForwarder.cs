using System.Reactive.Linq;
using Confluent.Kafka;
using ReactiveKafka;

namespace TestingYourPipeline;

/// <summary>
/// The pipeline under test, written as an application would: read orders, keep the paid ones, forward them
/// to another topic, and acknowledge each input record only once its forward is delivered.
/// </summary>
public sealed class PaidOrderForwarder(string bootstrapServers, string groupId, string input, string output)
{
    /// <summary>Runs until the subscription is disposed; emits each forwarded order's result.</summary>
    public IObservable<SenderResult<ReceiverOffset>> Run(KafkaSender<string, string> sender)
    {
        var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 500,
        })
        { Topics = [input], CommitInterval = TimeSpan.FromMilliseconds(100) });

        var records = receiver.Receive().Publish().RefCount();

        // Unpaid orders are processed by doing nothing: acknowledge them straight away.
        var skipped = records.Where(r => !IsPaid(r.Value)).Do(r => r.Offset.Acknowledge()).IgnoreElements().Select(_ => default(SenderResult<ReceiverOffset>)!);
        var forwarded = sender
            .Send(records.Where(r => IsPaid(r.Value)).Select(r => new SenderRecord<string, string, ReceiverOffset>(output, r.Key, r.Value.ToUpperInvariant(), r.Offset)))
            .Do(result => result.Correlation.Acknowledge());
        return forwarded.Merge(skipped);
    }

    private static bool IsPaid(string order) => order.EndsWith(":paid", StringComparison.Ordinal);
}
