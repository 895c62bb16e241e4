namespace ReactiveKafka.Broker.Transactions;

/// <summary>One transactional id as ListTransactions reports it.</summary>
/// <param name="TransactionalId">The id.</param>
/// <param name="ProducerId">Its producer id.</param>
/// <param name="State">Its state.</param>
internal sealed record TransactionListing(string TransactionalId, long ProducerId, TransactionState State);
