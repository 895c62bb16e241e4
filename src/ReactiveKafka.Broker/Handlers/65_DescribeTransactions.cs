using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Transactions;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// DescribeTransactions (key 65), v0: the state, producer id and epoch, timeout, start time and partitions of each
/// transactional id (what <c>kafka-transactions.sh describe</c> shows). INVALID_REQUEST for an empty id,
/// TRANSACTIONAL_ID_NOT_FOUND for an unknown (or expiring) one, as Kafka.
/// </summary>
internal sealed class DescribeTransactionsHandler(BrokerContext broker) : RequestHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>(minVersion: 0, maxVersion: 0)
{
    /// <inheritdoc />
    protected override ValueTask<DescribeTransactionsResponse?> HandleAsync(RequestContext context, DescribeTransactionsRequest request) =>
        new(new DescribeTransactionsResponse { TransactionStates = [.. request.TransactionalIds.Select(id => Describe(context, id))] });

    private DescribeTransactionsResponse.TransactionStateData Describe(RequestContext context, string transactionalId)
    {
        var state = new DescribeTransactionsResponse.TransactionStateData { TransactionalId = transactionalId, TransactionState = "", ProducerId = -1, ProducerEpoch = -1, TransactionStartTimeMs = -1 };
        if (!broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.TransactionalId, transactionalId))
        {
            state.ErrorCode = (short)ErrorCode.TransactionalIdAuthorizationFailed;
            return state;
        }

        if (transactionalId.Length == 0)
        {
            state.ErrorCode = (short)ErrorCode.InvalidRequest;
            return state;
        }

        if (broker.Transactions.Describe(transactionalId) is not { } m)
        {
            state.ErrorCode = (short)ErrorCode.TransactionalIdNotFound;
            return state;
        }

        state.TransactionState = m.State.KafkaName();
        state.ProducerId = m.ProducerId;
        state.ProducerEpoch = m.ProducerEpoch;
        state.TransactionTimeoutMs = m.TimeoutMs;
        state.TransactionStartTimeMs = m.StartTimestampMs;
        // As Kafka, only the partitions of topics the principal may describe.
        state.Topics = [.. m.Partitions.Where(p => broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Topic, p.Topic, logIfDenied: false))
            .GroupBy(p => p.Topic).Select(g => new DescribeTransactionsResponse.TopicData { Topic = g.Key, Partitions = [.. g.Select(p => p.Partition)] })];
        return state;
    }
}
