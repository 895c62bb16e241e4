using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// InitProducerId (key 22), v0–v5: gives an idempotent producer its producer id and epoch. Without a
/// <c>transactional_id</c> the answer is, as Kafka's, always a new producer id with epoch 0, whatever producer id and
/// epoch a v3+ request carries (a KIP-360 epoch bump of an idempotent producer gets a fresh id too). The partitions
/// then check each producer's sequences (see <c>Storage.Producers.ProducerStateManager</c>).
/// </summary>
/// <remarks>
/// Transactional producers (a <c>transactional_id</c>) are the transaction coordinator's: until it serves them they get
/// UNSUPPORTED_VERSION (the other transactional APIs are not advertised, so clients do not get that far).
/// Errors: COORDINATOR_NOT_AVAILABLE when the next block of producer ids cannot be reserved on disk (clients retry).
/// </remarks>
internal sealed class InitProducerIdHandler(BrokerContext broker) : RequestHandler<InitProducerIdRequest, InitProducerIdResponse>(minVersion: 0, maxVersion: 5)
{
    /// <inheritdoc />
    protected override ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request) =>
        request.TransactionalId is null
            ? new(InitIdempotent())
            : new(new InitProducerIdResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion, ProducerId = -1, ProducerEpoch = -1 });

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
}
