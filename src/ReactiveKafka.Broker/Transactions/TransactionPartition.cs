namespace ReactiveKafka.Broker.Transactions;

/// <summary>A topic partition taking part in a transaction.</summary>
/// <param name="Topic">The topic name.</param>
/// <param name="Partition">The partition index.</param>
internal readonly record struct TransactionPartition(string Topic, int Partition) : IComparable<TransactionPartition>
{
    /// <inheritdoc />
    public int CompareTo(TransactionPartition other)
    {
        var byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : Partition.CompareTo(other.Partition);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Topic}-{Partition}";
}
