using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// FindCoordinator (key 10), up to version 4 (batched keys; 5–6 only add share-group and abortable error codes): a single node coordinates every group (and, later,
/// every transactional id), so the answer is always this broker. Version 4 batches keys.
/// </summary>
internal sealed class FindCoordinatorHandler(BrokerContext broker) : RequestHandler<FindCoordinatorRequest, FindCoordinatorResponse>(minVersion: 0, maxVersion: 4)
{
    private const sbyte GroupKeyType = 0;
    private const sbyte TransactionKeyType = 1;

    /// <inheritdoc />
    protected override ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request)
    {
        var (host, port) = (context.Listener.AdvertisedHost, context.Listener.AdvertisedPort);
        var error = request.KeyType is GroupKeyType or TransactionKeyType ? ErrorCode.None : ErrorCode.InvalidRequest;
        var response = new FindCoordinatorResponse
        {
            ErrorCode = (short)error,
            ErrorMessage = error == ErrorCode.None ? null : $"Unknown coordinator key type {request.KeyType}.",
            NodeId = broker.Options.NodeId,
            Host = host,
            Port = port,
        };
        foreach (var key in request.CoordinatorKeys)
        {
            response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
            {
                Key = key,
                NodeId = broker.Options.NodeId,
                Host = host,
                Port = port,
                ErrorCode = (short)error,
                ErrorMessage = response.ErrorMessage,
            });
        }

        return new(response);
    }
}
