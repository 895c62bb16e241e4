using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// DescribeProducers (key 61), v0: the producers with state in each asked partition (Kafka's active producers): id,
/// epoch, last sequence, last timestamp, the coordinator epoch of their last marker and the first offset of their
/// ongoing transaction (-1 none), so that admin tools (<c>kafka-transactions.sh find-hanging</c>) can find a
/// transaction that holds the last stable offset back. UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist.
/// </summary>
internal sealed class DescribeProducersHandler(BrokerContext broker) : RequestHandler<DescribeProducersRequest, DescribeProducersResponse>(minVersion: 0, maxVersion: 0)
{
    /// <inheritdoc />
    protected override ValueTask<DescribeProducersResponse?> HandleAsync(RequestContext context, DescribeProducersRequest request)
    {
        var response = new DescribeProducersResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new DescribeProducersResponse.TopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            var readable = broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Topic, topic.Name);
            foreach (var index in topic.PartitionIndexes)
            {
                var result = new DescribeProducersResponse.PartitionResponse { PartitionIndex = index };
                topicResponse.Partitions.Add(result);
                if (!readable)
                {
                    result.ErrorCode = (short)ErrorCode.TopicAuthorizationFailed;
                    continue;
                }

                if (broker.Topics.GetPartition(topic.Name, index) is not { } log)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    result.ErrorMessage = $"The partition {topic.Name}-{index} does not exist.";
                    continue;
                }

                result.ActiveProducers = [.. log.DescribeProducers().Select(p => new DescribeProducersResponse.ProducerState
                {
                    ProducerId = p.ProducerId,
                    ProducerEpoch = p.ProducerEpoch,
                    LastSequence = p.LastSequence,
                    LastTimestamp = p.LastTimestamp,
                    CoordinatorEpoch = p.CoordinatorEpoch,
                    CurrentTxnStartOffset = p.CurrentTxnStartOffset,
                })];
            }
        }

        return new(response);
    }
}
