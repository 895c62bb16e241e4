using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// ListOffsets (key 2). Timestamp -1 is the latest offset (the high watermark), -2 the
/// earliest (the log start offset), -3 the first record with the largest timestamp (v7+, KIP-734), -4 the
/// earliest local offset (v8+, the same as earliest here: there is no tiered storage); any other timestamp
/// is the first record whose timestamp is at or after it. Found records are answered with their own offset
/// and timestamp, as Kafka does; none found is offset -1, timestamp -1. Version 0 answers in OldStyleOffsets.
/// Under READ_COMMITTED (isolation level 1, v2+) "latest" is the last stable offset and a lookup that finds an offset
/// at or after it answers none, as Kafka's <c>fetchOffsetForTimestamp</c>.
/// </summary>
/// <remarks>
/// Visibility: in Durable mode the high watermark is the fsync'd end, so an acks=1 write is answered before it
/// is visible. A lookup other than "earliest" therefore first waits (for at most <see cref="VisibilityWait"/>)
/// until everything appended before the request is durable, which is one group-commit fsync: a ListOffsets that
/// follows an acknowledged write sees it, as on a single Kafka broker, and never sees data a crash could lose.
/// </remarks>
internal sealed class ListOffsetsHandler(BrokerContext broker) : RequestHandler<ListOffsetsRequest, ListOffsetsResponse>(minVersion: 0, maxVersion: 8)
{
    /// <summary>How long a lookup waits for the fsync in flight before answering with what is durable.</summary>
    internal static readonly TimeSpan VisibilityWait = TimeSpan.FromSeconds(5);

    private const long Latest = -1;
    private const long Earliest = -2;
    private const long MaxTimestamp = -3;
    private const long EarliestLocal = -4;

    /// <inheritdoc />
    protected override ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request)
    {
        List<(PartitionLog Log, long End)>? pending = null;
        foreach (var topic in request.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                if (partition.Timestamp is not (Earliest or EarliestLocal) &&
                    broker.Topics.GetPartition(topic.Name, partition.PartitionIndex) is { } log &&
                    log.HighWatermark < log.LogEndOffset)
                {
                    (pending ??= []).Add((log, log.LogEndOffset));
                }
            }
        }

        return pending is null ? new(Answer(context, request)) : WaitThenAnswerAsync(context, request, pending);
    }

    private async ValueTask<ListOffsetsResponse?> WaitThenAnswerAsync(RequestContext context, ListOffsetsRequest request, List<(PartitionLog Log, long End)> waits)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed);
        timeout.CancelAfter(VisibilityWait);
        foreach (var (log, end) in waits)
        {
            try
            {
                await log.WaitForDurableAsync(end, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Slow disk, failed fsync or closed log: answer from what is durable; the lookup reports the rest.
            }
        }

        return Answer(context, request);
    }

    private ListOffsetsResponse Answer(RequestContext context, ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            var describable = broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Topic, topic.Name);
            foreach (var partition in topic.Partitions)
            {
                var result = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = partition.PartitionIndex };
                topicResponse.Partitions.Add(result);
                if (!describable)
                {
                    result.ErrorCode = (short)ErrorCode.TopicAuthorizationFailed;
                    continue;
                }

                var log = broker.Topics.GetPartition(topic.Name, partition.PartitionIndex);
                if (log is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }

                if (partition.Timestamp < EarliestLocal)
                {
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    continue;
                }

                TimestampAndOffset? found;
                var lastFetchable = request.IsolationLevel == 1 ? log.LastStableOffset : log.HighWatermark;
                try
                {
                    found = partition.Timestamp switch
                    {
                        Latest => new TimestampAndOffset(-1, lastFetchable),
                        Earliest or EarliestLocal => new TimestampAndOffset(-1, log.LogStartOffset),
                        MaxTimestamp => log.FindMaxTimestamp(),
                        var timestamp => log.FindByTimestamp(timestamp),
                    };
                }
                catch (ProtocolException)
                {
                    result.ErrorCode = (short)ErrorCode.CorruptMessage;
                    continue;
                }

                if (found is { } f && (f.Offset < lastFetchable || partition.Timestamp is Latest or Earliest or EarliestLocal))
                {
                    result.Offset = f.Offset;
                    result.Timestamp = f.Timestamp;
                    result.LeaderEpoch = 0;
                }

                if (context.ApiVersion == 0)
                {
                    result.OldStyleOffsets = result.Offset >= 0 ? [result.Offset] : [];
                }
            }
        }

        return response;
    }
}
