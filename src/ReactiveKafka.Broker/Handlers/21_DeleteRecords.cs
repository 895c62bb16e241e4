using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// DeleteRecords (key 21): moves a partition's log start offset forward (-1 means the high
/// watermark) and deletes the segments wholly below it.
/// </summary>
internal sealed class DeleteRecordsHandler(BrokerContext broker) : RequestHandler<DeleteRecordsRequest, DeleteRecordsResponse>(minVersion: 0, maxVersion: 2)
{
    /// <inheritdoc />
    protected override ValueTask<DeleteRecordsResponse?> HandleAsync(RequestContext context, DeleteRecordsRequest request) =>
        new(new DeleteRecordsResponse
        {
            Topics = request.Topics.Select(t => new DeleteRecordsResponse.DeleteRecordsTopicResult
            {
                Name = t.Name,
                Partitions = t.Partitions.Select(p =>
                {
                    if (!broker.Authorizer.Allows(context, AclOperation.Delete, AclResourceType.Topic, t.Name))
                    {
                        return new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = -1, ErrorCode = (short)ErrorCode.TopicAuthorizationFailed };
                    }

                    var log = broker.Topics.GetPartition(t.Name, p.PartitionIndex);
                    if (log is null)
                    {
                        return new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = -1, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition };
                    }

                    var offset = p.Offset == -1 ? log.HighWatermark : p.Offset;
                    var error = offset < 0 || offset > log.HighWatermark ? ErrorCode.OffsetOutOfRange : log.DeleteRecordsBefore(offset).Error;
                    return new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = log.LogStartOffset, ErrorCode = (short)error };
                }).ToList(),
            }).ToList(),
        });
}
