using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// A transaction was aborted before its records were all sent or before it could be committed, by someone other
/// than the sequence that ran it: an exactly-once receiver aborts the open transaction when its partitions are revoked,
/// so that their new owner reads those records again. Nothing of the transaction is visible or committed.
/// </summary>
public sealed class TransactionAbortedException : KafkaException
{
    /// <summary>Creates the exception for transaction number <paramref name="transaction"/>.</summary>
    /// <param name="transaction">The transaction's number in its sender (1 for the first one).</param>
    public TransactionAbortedException(long transaction)
        : base(new Error(ErrorCode.Local_State, $"Transaction {transaction} was aborted before it was committed (its consumer's partitions were revoked, or AbortAsync was called): nothing of it is visible or committed."))
    {
        Transaction = transaction;
    }

    /// <summary>The transaction's number in its sender (1 for the first one).</summary>
    public long Transaction { get; }
}
