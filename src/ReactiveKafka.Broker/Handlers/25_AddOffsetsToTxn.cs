using ReactiveKafka.Protocol;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// AddOffsetsToTxn (key 25), v0–v4: adds a consumer group to the producer's transaction, so that the offsets it then
/// commits with TxnOffsetCommit are committed or dropped with the transaction. Errors as AddPartitionsToTxn
/// (<see cref="Transactions.TransactionCoordinator.AddOffsetsAsync"/>).
/// </summary>
internal sealed class AddOffsetsToTxnHandler(BrokerContext broker) : RequestHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(minVersion: 0, maxVersion: 4)
{
    /// <inheritdoc />
    protected override async ValueTask<AddOffsetsToTxnResponse?> HandleAsync(RequestContext context, AddOffsetsToTxnRequest request) =>
        new()
        {
            // As Kafka: WRITE on the transactional id, then READ on the group.
            ErrorCode = !broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.TransactionalId, request.TransactionalId) ? (short)ErrorCode.TransactionalIdAuthorizationFailed
                : !broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Group, request.GroupId) ? (short)ErrorCode.GroupAuthorizationFailed
                : (short)await broker.Transactions.AddOffsetsAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.GroupId, context.ConnectionClosed).ConfigureAwait(false),
        };
}
