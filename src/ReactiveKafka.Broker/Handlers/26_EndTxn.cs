using ReactiveKafka.Protocol;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// EndTxn (key 26), v0–v4: commits or aborts the producer's transaction; answered once the decision is durable, the
/// markers follow in the background (<see cref="Transactions.TransactionCoordinator.EndTransactionAsync"/>). Version 5 belongs to
/// transactions V2 (KIP-890 part 2: an epoch bump per transaction), which this broker does not offer, so clients stay
/// on V1.
/// </summary>
internal sealed class EndTxnHandler(BrokerContext broker) : RequestHandler<EndTxnRequest, EndTxnResponse>(minVersion: 0, maxVersion: 4)
{
    /// <inheritdoc />
    protected override async ValueTask<EndTxnResponse?> HandleAsync(RequestContext context, EndTxnRequest request) =>
        new()
        {
            ErrorCode = !broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.TransactionalId, request.TransactionalId) ? (short)ErrorCode.TransactionalIdAuthorizationFailed
                : (short)await broker.Transactions.EndTransactionAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.Committed, context.ConnectionClosed).ConfigureAwait(false),
            ProducerId = -1,
            ProducerEpoch = -1,
        };
}
