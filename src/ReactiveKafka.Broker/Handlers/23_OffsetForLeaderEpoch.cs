using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// OffsetForLeaderEpoch (key 23). There is one leader epoch, 0, for the life of a partition,
/// so the end offset of epoch 0 (or any later epoch asked about) is the log end offset.
/// </summary>
internal sealed class OffsetForLeaderEpochHandler(BrokerContext broker) : RequestHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(minVersion: 0, maxVersion: 4)
{
    /// <inheritdoc />
    protected override ValueTask<OffsetForLeaderEpochResponse?> HandleAsync(RequestContext context, OffsetForLeaderEpochRequest request) =>
        new(new OffsetForLeaderEpochResponse
        {
            Topics = request.Topics.Select(t => new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult
            {
                Topic = t.Topic,
                Partitions = t.Partitions.Select(p =>
                {
                    var log = broker.Topics.GetPartition(t.Topic, p.Partition);
                    return !Describable(context, t.Topic)
                        ? new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = p.Partition, ErrorCode = (short)ErrorCode.TopicAuthorizationFailed }
                        : log is null
                        ? new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = p.Partition, ErrorCode = (short)ErrorCode.UnknownTopicOrPartition }
                        : p.CurrentLeaderEpoch > 0
                            ? new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = p.Partition, ErrorCode = (short)ErrorCode.UnknownLeaderEpoch }
                            : new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = p.Partition, LeaderEpoch = 0, EndOffset = log.LogEndOffset };
                }).ToList(),
            }).ToList(),
        });

    // As Kafka: CLUSTER_ACTION (a follower) or DESCRIBE on the topic (a consumer checking for truncation, KIP-320).
    private bool Describable(RequestContext context, string topic) =>
        broker.Authorizer.AllowsCluster(context, AclOperation.ClusterAction, logIfDenied: false)
        || broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Topic, topic);
}
