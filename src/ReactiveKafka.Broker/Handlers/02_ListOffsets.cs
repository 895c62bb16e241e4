using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// ListOffsets (key 2), versions 0–8. Timestamp -1 is the latest offset (the high watermark), -2 the
/// earliest (the log start offset), -3 the offset of the largest timestamp (v7+), -4 the earliest local
/// offset (v8+, the same as earliest here: there is no tiered storage); any other timestamp is looked up
/// in the time index (the first offset whose timestamp is at or after it; -1 when there is none).
/// Version 0 answers in OldStyleOffsets.
/// </summary>
internal sealed class ListOffsetsHandler(BrokerContext broker) : RequestHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    private const long Latest = -1;
    private const long Earliest = -2;
    private const long MaxTimestamp = -3;
    private const long EarliestLocal = -4;

    /// <inheritdoc />
    protected override ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (var partition in topic.Partitions)
            {
                var result = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = partition.PartitionIndex, LeaderEpoch = 0 };
                topicResponse.Partitions.Add(result);
                var log = broker.Topics.GetPartition(topic.Name, partition.PartitionIndex);
                if (log is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }

                (long Offset, long Timestamp) found = partition.Timestamp switch
                {
                    Latest => (log.HighWatermark, -1),
                    Earliest or EarliestLocal => (log.LogStartOffset, -1),
                    MaxTimestamp => log.HighWatermark > log.LogStartOffset ? (log.HighWatermark - 1, -1) : (-1, -1),
                    < 0 => (-2, -2),
                    var timestamp => (log.OffsetForTimestamp(timestamp) ?? -1, timestamp),
                };
                if (found.Offset == -2)
                {
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    continue;
                }

                result.Offset = found.Offset;
                result.Timestamp = found.Timestamp;
                if (context.ApiVersion == 0)
                {
                    result.OldStyleOffsets = found.Offset >= 0 ? [found.Offset] : [];
                }
            }
        }

        return new(response);
    }
}
