using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
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
        if (error == ErrorCode.None && context.ApiVersion < 4 && Denied(context, request.KeyType, request.Key) is { } denied)
        {
            (response.ErrorCode, response.ErrorMessage, response.NodeId, response.Host, response.Port) = ((short)denied, null, -1, "", -1);
        }

        foreach (var key in request.CoordinatorKeys)
        {
            var keyError = error == ErrorCode.None ? Denied(context, request.KeyType, key) ?? ErrorCode.None : error;
            response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
            {
                Key = key,
                NodeId = keyError is ErrorCode.None ? broker.Options.NodeId : -1,
                Host = keyError is ErrorCode.None ? host : "",
                Port = keyError is ErrorCode.None ? port : -1,
                ErrorCode = (short)keyError,
                ErrorMessage = keyError == error ? response.ErrorMessage : null,
            });
        }

        return new(response);
    }

    // Kafka: DESCRIBE on the group, or on the transactional id.
    private ErrorCode? Denied(RequestContext context, sbyte keyType, string key) =>
        keyType == GroupKeyType
            ? broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Group, key) ? null : ErrorCode.GroupAuthorizationFailed
            : broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.TransactionalId, key) ? null : ErrorCode.TransactionalIdAuthorizationFailed;
}
