namespace ReactiveKafka.Broker.Transactions;

/// <summary>ListTransactions and DescribeTransactions: what admin tools use to find a hanging transaction.</summary>
internal sealed partial class TransactionCoordinator
{
    /// <summary>
    /// Kafka's <c>listTransactionStates</c>: every id except those expiring, filtered by producer ids and states (empty
    /// filters match all) and, when <paramref name="minDurationMs"/> is not negative, by running longer than it
    /// (ListTransactions v1; as in Kafka, an id without a transaction counts from -1, so it always passes that filter). Names of unknown states are returned for the response's <c>unknown_state_filters</c>.
    /// </summary>
    public (IReadOnlyList<TransactionListing> Transactions, IReadOnlyList<string> UnknownStates) List(
        IReadOnlyCollection<long> producerIds, IReadOnlyCollection<string> states, long minDurationMs = -1)
    {
        var unknown = new List<string>();
        var wanted = new HashSet<TransactionState>();
        foreach (var name in states)
        {
            if (TransactionStates.TryParseKafkaName(name, out var state))
            {
                wanted.Add(state);
            }
            else
            {
                unknown.Add(name);
            }
        }

        var now = NowMs;
        var result = new List<TransactionListing>();
        foreach (var entry in _entries.Values)
        {
            bool removing;
            TransactionMetadata m;
            lock (entry.Gate)
            {
                m = entry.Metadata;
                removing = entry.Removed || entry.Pending == TransactionState.Dead;
            }

            if (removing
                || (producerIds.Count > 0 && !producerIds.Contains(m.ProducerId))
                || (states.Count > 0 && !wanted.Contains(m.State))
                || (minDurationMs >= 0 && now - m.StartTimestampMs <= minDurationMs))
            {
                continue;
            }

            result.Add(new TransactionListing(m.TransactionalId, m.ProducerId, m.State));
        }

        return ([.. result.OrderBy(t => t.TransactionalId, StringComparer.Ordinal)], unknown);
    }

    /// <summary>DescribeTransactions: the metadata of an id, or null when unknown or expiring (TRANSACTIONAL_ID_NOT_FOUND).</summary>
    public TransactionMetadata? Describe(string transactionalId)
    {
        if (!_entries.TryGetValue(transactionalId, out var entry))
        {
            return null;
        }

        lock (entry.Gate)
        {
            return entry.Removed || entry.Pending == TransactionState.Dead ? null : entry.Metadata;
        }
    }
}
