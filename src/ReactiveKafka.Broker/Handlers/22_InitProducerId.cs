using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// InitProducerId (key 22), v0–v5. With a <c>transactional_id</c> the transaction coordinator answers
/// (<see cref="Transactions.TransactionCoordinator.InitProducerIdAsync"/>): the id's producer id and a new epoch that
/// fences every older producer of the id, aborting its ongoing transaction; v3+ requests carry the caller's producer
/// id and epoch (KIP-360). Producers without one (idempotent only) are served by the partition side (issue 12 item 2).
/// </summary>
internal sealed class InitProducerIdHandler(BrokerContext broker) : RequestHandler<InitProducerIdRequest, InitProducerIdResponse>(minVersion: 0, maxVersion: 5)
{
    /// <inheritdoc />
    protected override async ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request)
    {
        if (request.TransactionalId is null)
        {
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion, ProducerId = -1, ProducerEpoch = -1 };
        }

        return await InitTransactionalAsync(request, context.ConnectionClosed).ConfigureAwait(false);
    }

    /// <summary>The answer to a producer with a transactional id, from the transaction coordinator.</summary>
    internal async ValueTask<InitProducerIdResponse> InitTransactionalAsync(InitProducerIdRequest request, CancellationToken cancellationToken)
    {
        var result = await broker.Transactions.InitProducerIdAsync(request.TransactionalId!, request.TransactionTimeoutMs, request.ProducerId, request.ProducerEpoch, cancellationToken).ConfigureAwait(false);
        return new InitProducerIdResponse { ErrorCode = (short)result.Error, ProducerId = result.ProducerId, ProducerEpoch = result.ProducerEpoch };
    }
}
