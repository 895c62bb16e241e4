using ReactiveKafka.Broker.Security.Acls;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// InitProducerId (key 22), v0–v5: gives a producer its producer id and epoch. Without a <c>transactional_id</c> the
/// answer is, as Kafka's, always a new producer id with epoch 0, whatever producer id and epoch a v3+ request carries
/// (a KIP-360 epoch bump of an idempotent producer gets a fresh id too); the partitions then check each producer's
/// sequences (see <c>Storage.Producers.ProducerStateManager</c>). With one, the transaction coordinator answers
/// (<see cref="Transactions.TransactionCoordinator.InitProducerIdAsync"/>): the id's producer id and a new epoch that
/// fences every older producer of the id, aborting its ongoing transaction; v3+ requests carry the caller's producer id
/// and epoch (KIP-360).
/// </summary>
/// <remarks>
/// Errors: COORDINATOR_NOT_AVAILABLE when the next block of producer ids cannot be reserved on disk (clients retry);
/// for transactional ids also INVALID_REQUEST, INVALID_TRANSACTION_TIMEOUT, CONCURRENT_TRANSACTIONS, PRODUCER_FENCED.
/// </remarks>
internal sealed class InitProducerIdHandler(BrokerContext broker) : RequestHandler<InitProducerIdRequest, InitProducerIdResponse>(minVersion: 0, maxVersion: 5)
{
    /// <inheritdoc />
    protected override ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request)
    {
        // As Kafka: WRITE on the transactional id, or for an idempotent producer IDEMPOTENT_WRITE on the cluster or WRITE on any topic.
        var refused = request.TransactionalId is { } id
            ? broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.TransactionalId, id) ? (ErrorCode?)null : ErrorCode.TransactionalIdAuthorizationFailed
            : broker.Authorizer.AllowsCluster(context, AclOperation.IdempotentWrite, logIfDenied: false)
                || broker.Authorizer.AllowsAnyOfType(context, AclOperation.Write, AclResourceType.Topic) ? null : ErrorCode.ClusterAuthorizationFailed;
        if (refused is { } error)
        {
            return new(new InitProducerIdResponse { ErrorCode = (short)error, ProducerId = -1, ProducerEpoch = -1 });
        }

        return request.TransactionalId is null
            ? new(InitIdempotent())
            : InitTransactionalAsync(request, context.ConnectionClosed);
    }

    /// <summary>The answer to a producer without a transactional id: a producer id never handed out before, epoch 0.</summary>
    internal InitProducerIdResponse InitIdempotent()
    {
        try
        {
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.None, ProducerId = broker.ProducerIds.Allocate(), ProducerEpoch = 0 };
        }
        catch (IOException e)
        {
            broker.LoggerFactory.CreateLogger<InitProducerIdHandler>().LogError(e, "Reserving a block of producer ids failed");
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.CoordinatorNotAvailable, ProducerId = -1, ProducerEpoch = -1 };
        }
    }

    /// <summary>The answer to a producer with a transactional id, from the transaction coordinator.</summary>
    private async ValueTask<InitProducerIdResponse?> InitTransactionalAsync(InitProducerIdRequest request, CancellationToken cancellationToken)
    {
        var result = await broker.Transactions.InitProducerIdAsync(request.TransactionalId!, request.TransactionTimeoutMs, request.ProducerId, request.ProducerEpoch, cancellationToken).ConfigureAwait(false);
        return new InitProducerIdResponse { ErrorCode = (short)result.Error, ProducerId = result.ProducerId, ProducerEpoch = result.ProducerEpoch };
    }
}
