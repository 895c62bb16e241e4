using System.Threading.Channels;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>
/// <c>ReceiveAsync</c>: hands each poll's records to the enumerator through an unbounded channel (bounded in practice
/// by the loop's <see cref="BufferCounter"/>), and the end of the loop as the channel's completion.
/// </summary>
internal sealed class ChannelSink<TKey, TValue> : IRecordSink<TKey, TValue>
{
    private readonly Channel<List<ReceiverRecord<TKey, TValue>>> _channel =
        Channel.CreateUnbounded<List<ReceiverRecord<TKey, TValue>>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public bool TracksAcknowledgements => true;

    public ChannelReader<List<ReceiverRecord<TKey, TValue>>> Reader => _channel.Reader;

    public void Assigned(PartitionState partition)
    {
    }

    public void Deliver(List<ReceiverRecord<TKey, TValue>> records) => _channel.Writer.TryWrite(records);

    public void Revoked(PartitionState partition)
    {
    }

    public void Fail(Exception error) => _channel.Writer.TryComplete(error);

    public void Complete() => _channel.Writer.TryComplete();
}
