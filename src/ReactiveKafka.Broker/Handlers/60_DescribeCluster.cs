using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>DescribeCluster (key 60): one broker, which is also the controller.</summary>
internal sealed class DescribeClusterHandler(BrokerContext broker) : RequestHandler<DescribeClusterRequest, DescribeClusterResponse>(minVersion: 0, maxVersion: 1)
{
    /// <inheritdoc />
    protected override ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request)
    {
        var (host, port) = (context.Listener.AdvertisedHost, context.Listener.AdvertisedPort);
        if (!broker.Authorizer.AllowsCluster(context, AclOperation.Describe))
        {
            return new(new DescribeClusterResponse { ErrorCode = (short)Protocol.ErrorCode.ClusterAuthorizationFailed, ClusterId = broker.ClusterId, ControllerId = -1 });
        }

        return new(new DescribeClusterResponse
        {
            ClusterId = broker.ClusterId,
            ControllerId = broker.Options.NodeId,
            Brokers = [new DescribeClusterResponse.DescribeClusterBroker { BrokerId = broker.Options.NodeId, Host = host, Port = port }],
        });
    }
}
