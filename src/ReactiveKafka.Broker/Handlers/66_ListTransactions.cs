using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Transactions;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// ListTransactions (key 66), v0–v1: the transactional ids with their producer id and state, filtered by state names,
/// producer ids and (v1) a minimum running time, as <c>kafka-transactions.sh list</c> and <c>find-hanging</c> use it.
/// Unknown state names come back in <c>unknown_state_filters</c>.
/// </summary>
internal sealed class ListTransactionsHandler(BrokerContext broker) : RequestHandler<ListTransactionsRequest, ListTransactionsResponse>(minVersion: 0, maxVersion: 1)
{
    /// <inheritdoc />
    protected override ValueTask<ListTransactionsResponse?> HandleAsync(RequestContext context, ListTransactionsRequest request)
    {
        var (transactions, unknown) = broker.Transactions.List(request.ProducerIdFilters, request.StateFilters, context.ApiVersion >= 1 ? request.DurationFilter : -1);
        return new(new ListTransactionsResponse
        {
            UnknownStateFilters = [.. unknown],
            TransactionStates = [.. transactions
                .Where(t => broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.TransactionalId, t.TransactionalId, logIfDenied: false))
                .Select(t => new ListTransactionsResponse.TransactionStateData
            {
                TransactionalId = t.TransactionalId,
                ProducerId = t.ProducerId,
                TransactionState = t.State.KafkaName(),
            })],
        });
    }
}
