using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reactive.Linq;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Tests.Receiver;
using Xunit;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>
/// Trace context across a real send and receive: the producer span writes W3C headers, the receiver's process span is
/// its child. The activity source is process-wide: spans are told apart by the test's own topic.
/// </summary>
public sealed class TracingTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>, IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private ActivityListener? _listener;

    /// <summary>
    /// Listens to the spans of <paramref name="topic"/> only: other test classes run in parallel, and a span sampled for
    /// their records would add trace headers to them.
    /// </summary>
    private void Listen(string topic)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KafkaDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Name.EndsWith(" " + topic, StringComparison.Ordinal) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener?.Dispose();

    [Fact]
    public async Task Send_PropagationOnlySpan_HeaderWrittenSpanEndedAtOnceWithoutTags()
    {
        var topic = await broker.CreateTopicAsync();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KafkaDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Name == "send " + topic ? ActivitySamplingResult.PropagationData : ActivitySamplingResult.None,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig()));

        var result = await sender.SendAsync(new SenderRecord<string, string, int>(topic, "k", "v", 1), TestContext.Current.CancellationToken);

        Assert.True(result.IsSuccess);
        var send = Assert.Single(_stopped, a => a.DisplayName == "send " + topic);
        Assert.False(send.Recorded);
        Assert.Empty(send.TagObjects);
        var stored = Assert.Single(broker.ConsumeUntil(topic, r => r.Count == 1));
        Assert.True(stored.Message.Headers.TryGetLastBytes("traceparent", out var traceParent));
        Assert.Equal($"00-{send.TraceId}-{send.SpanId}-00", Encoding.ASCII.GetString(traceParent));
    }

    [Fact]
    public async Task SendThenReceive_ProcessSpanIsChildOfProducerSpan_AcrossRealBroker()
    {
        var topic = await broker.CreateTopicAsync();
        Listen(topic);
        await using var sender = KafkaSender.Create(new SenderOptions<string, string>(broker.ProducerConfig()));
        var callerHeaders = new Headers { { "custom", Encoding.UTF8.GetBytes("kept") } };
        using var root = new Activity("test-root").SetIdFormat(ActivityIdFormat.W3C).Start();

        await sender.SendAsync(new SenderRecord<string, string, int>(topic, "k", "v", 1) { Headers = callerHeaders }, TestContext.Current.CancellationToken);

        Assert.Same(root, Activity.Current);
        root.Stop();
        var send = Assert.Single(_stopped, a => a.Kind == ActivityKind.Producer && (string?)a.GetTagItem("messaging.destination.name") == topic);
        Assert.Equal($"send {topic}", send.DisplayName);
        Assert.Equal(root.TraceId, send.TraceId);
        Assert.Equal(root.SpanId, send.ParentSpanId);
        Assert.Equal("kafka", send.GetTagItem("messaging.system"));
        Assert.Equal("0", send.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(0L, send.GetTagItem("messaging.kafka.offset"));
        Assert.Single(callerHeaders); // the caller's headers object is not changed

        // On the wire: the caller's header and the producer span's W3C context.
        var raw = Assert.Single(broker.Consume(topic, 1));
        Assert.Equal("kept", Encoding.UTF8.GetString(raw.Message.Headers.GetLastBytes("custom")));
        Assert.Equal(send.Id, Encoding.ASCII.GetString(raw.Message.Headers.GetLastBytes("traceparent")));

        // Received: a consumer span, child of the producer span, current while OnNext runs, ended by the acknowledgement.
        var options = ReceiverTestKit.Options(broker, topic);
        var receiver = KafkaReceiver.Create(options);
        var seen = new TaskCompletionSource<(ReceiverRecord<string, string> Record, Activity? Current)>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (receiver.Receive().Subscribe(r => seen.TrySetResult((r, Activity.Current))))
        {
            var (record, current) = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            var process = record.Activity;
            Assert.NotNull(process);
            Assert.Same(process, current);
            Assert.Equal(ActivityKind.Consumer, process.Kind);
            Assert.Equal($"process {topic}", process.DisplayName);
            Assert.Equal(send.TraceId, process.TraceId);
            Assert.Equal(send.SpanId, process.ParentSpanId);
            Assert.Equal(options.ConsumerProperties["group.id"], process.GetTagItem("messaging.consumer.group.name"));
            Assert.False(process.IsStopped);

            record.Offset.Acknowledge();
            Assert.True(process.IsStopped);
            Assert.Contains(process, _stopped);
        }

        await receiver.WhenReleasedAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Send_Failure_ProducerSpanEndsWithErrorStatus()
    {
        var topic = "unreachable-" + Guid.NewGuid().ToString("N");
        Listen(topic);
        var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }) { CloseTimeout = TimeSpan.Zero });
        var send = sender.SendAsync(new SenderRecord<string, string, int>(topic, "k", "v", 1), TestContext.Current.CancellationToken);
        await sender.DisposeAsync();
        await Assert.ThrowsAsync<ProduceException<string, string>>(() => send);

        var span = Assert.Single(_stopped, a => (string?)a.GetTagItem("messaging.destination.name") == topic);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(nameof(ErrorCode.Local_Destroy), span.GetTagItem("error.type"));
    }
}
