using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// Metadata (key 3): one broker that leads every partition, is the controller, and
/// is every partition's only replica. Unknown topics are created when the request allows it
/// (AllowAutoTopicCreation, v4+; always in older versions) and the broker's AutoCreateTopics is on.
/// A null topic list (v1+), or an empty one at v0, asks for every topic. Topic ids (v10+) are the ids
/// the topic store keeps.
/// </summary>
internal sealed class MetadataHandler(BrokerContext broker) : RequestHandler<MetadataRequest, MetadataResponse>(minVersion: 0, maxVersion: 12)
{
    // A topic's answer depends only on its TopicInfo (replaced whenever partitions or configs change) and the node id,
    // so it is built once per TopicInfo and shared by every response that lists the topic (responses are only read by
    // the encoder). Without it a client's periodic Metadata of all topics allocated a few hundred bytes per topic per
    // call, and with 10,000 topics the broker spent most of that call collecting them.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Storage.TopicInfo, MetadataResponse.MetadataResponseTopic> _described = [];

    /// <inheritdoc />
    protected override ValueTask<MetadataResponse?> HandleAsync(RequestContext context, MetadataRequest request)
    {
        var (host, port) = (context.Listener.AdvertisedHost, context.Listener.AdvertisedPort);
        var nodeId = broker.Options.NodeId;
        var response = new MetadataResponse
        {
            ClusterId = broker.ClusterId,
            ControllerId = nodeId,
            Brokers = [new MetadataResponse.MetadataResponseBroker { NodeId = nodeId, Host = host, Port = port }],
        };

        var allTopics = request.Topics is null || (context.ApiVersion == 0 && request.Topics.Count == 0);
        if (allTopics)
        {
            // As Kafka: a listing of every topic leaves out those the principal may not DESCRIBE.
            var topics = broker.Topics.ListTopics();
            response.Topics.Capacity = topics.Count;
            foreach (var topic in topics)
            {
                if (broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Topic, topic.Name, logIfDenied: false))
                {
                    response.Topics.Add(Described(topic, nodeId));
                }
            }

            return new(response);
        }

        var autoCreate = broker.Options.AutoCreateTopics && (context.ApiVersion < 4 || request.AllowAutoTopicCreation);
        foreach (var requested in request.Topics!)
        {
            var name = requested.Name ?? broker.Topics.GetTopic(requested.TopicId)?.Name;
            if (name is null)
            {
                response.Topics.Add(new MetadataResponse.MetadataResponseTopic
                {
                    ErrorCode = (short)ErrorCode.UnknownTopicId,
                    TopicId = requested.TopicId,
                });
                continue;
            }

            if (!broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Topic, name))
            {
                response.Topics.Add(new MetadataResponse.MetadataResponseTopic { Name = name, ErrorCode = (short)ErrorCode.TopicAuthorizationFailed });
                continue;
            }

            var topic = broker.Topics.GetTopic(name);
            if (topic is null && autoCreate
                && !broker.Authorizer.AllowsCluster(context, AclOperation.Create, logIfDenied: false)
                && !broker.Authorizer.Allows(context, AclOperation.Create, AclResourceType.Topic, name))
            {
                response.Topics.Add(new MetadataResponse.MetadataResponseTopic { Name = name, ErrorCode = (short)ErrorCode.TopicAuthorizationFailed });
                continue;
            }

            if (topic is null && autoCreate)
            {
                var created = broker.Topics.CreateTopic(name, broker.Options.DefaultPartitions, configs: null, validateOnly: false);
                if (created.Error is not (ErrorCode.None or ErrorCode.TopicAlreadyExists))
                {
                    response.Topics.Add(new MetadataResponse.MetadataResponseTopic { Name = name, ErrorCode = (short)created.Error });
                    continue;
                }

                topic = broker.Topics.GetTopic(name);
            }

            response.Topics.Add(topic is null
                ? new MetadataResponse.MetadataResponseTopic
                {
                    Name = name,
                    ErrorCode = (short)(Storage.TopicNames.Validate(name) is null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException),
                }
                : Described(topic, nodeId));
        }

        return new(response);
    }

    private MetadataResponse.MetadataResponseTopic Described(Storage.TopicInfo topic, int nodeId) =>
        _described.GetValue(topic, t => Describe(t, nodeId));

    private static MetadataResponse.MetadataResponseTopic Describe(Storage.TopicInfo topic, int nodeId)
    {
        var described = new MetadataResponse.MetadataResponseTopic { Name = topic.Name, TopicId = topic.TopicId };
        for (var partition = 0; partition < topic.PartitionCount; partition++)
        {
            described.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = partition,
                LeaderId = nodeId,
                LeaderEpoch = 0,
                ReplicaNodes = [nodeId],
                IsrNodes = [nodeId],
            });
        }

        return described;
    }
}
