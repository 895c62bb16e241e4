namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// A transactional id's state, as Kafka's <c>TransactionState</c> (the numeric values are Kafka's ids; the names are
/// what DescribeTransactions and ListTransactions report).
/// </summary>
internal enum TransactionState : byte
{
    /// <summary>No transaction: just initialised, or the previous one completed and its id was fenced or re-initialised.</summary>
    Empty = 0,

    /// <summary>Partitions or a group were added; records may be written.</summary>
    Ongoing = 1,

    /// <summary>EndTxn(commit) persisted: the outcome is decided, markers are being written.</summary>
    PrepareCommit = 2,

    /// <summary>EndTxn(abort), a fence or a timeout persisted: markers are being written.</summary>
    PrepareAbort = 3,

    /// <summary>Every COMMIT marker written.</summary>
    CompleteCommit = 4,

    /// <summary>Every ABORT marker written.</summary>
    CompleteAbort = 5,

    /// <summary>Expired: about to be forgotten (never persisted as a state, only as a tombstone).</summary>
    Dead = 6,

    /// <summary>A pending (never persisted) state: the epoch is being bumped to fence an ongoing transaction before aborting it.</summary>
    PrepareEpochFence = 7,
}

/// <summary>Kafka's rules on <see cref="TransactionState"/>: valid predecessors and names.</summary>
internal static class TransactionStates
{
    /// <summary>Whether a transition from <paramref name="from"/> to <paramref name="to"/> is legal (Kafka's <c>validPreviousStates</c>).</summary>
    public static bool CanTransition(TransactionState from, TransactionState to) => to switch
    {
        TransactionState.Empty => from is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort,
        TransactionState.Ongoing => from is TransactionState.Ongoing or TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort,
        TransactionState.PrepareCommit => from is TransactionState.Ongoing,
        TransactionState.PrepareAbort => from is TransactionState.Ongoing or TransactionState.PrepareEpochFence,
        TransactionState.CompleteCommit => from is TransactionState.PrepareCommit,
        TransactionState.CompleteAbort => from is TransactionState.PrepareAbort,
        TransactionState.Dead => from is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort,
        TransactionState.PrepareEpochFence => from is TransactionState.Ongoing,
        _ => false,
    };

    /// <summary>Whether an id in this state may expire (<c>transactional.id.expiration.ms</c>).</summary>
    public static bool IsExpirationAllowed(this TransactionState state) =>
        state is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort;

    /// <summary>Whether a transaction is in progress (records or markers may still be pending).</summary>
    public static bool IsPending(this TransactionState state) =>
        state is TransactionState.Ongoing or TransactionState.PrepareCommit or TransactionState.PrepareAbort;

    /// <summary>The name admin clients see (Kafka's <c>TransactionState.name</c>).</summary>
    public static string KafkaName(this TransactionState state) => state.ToString();

    /// <summary>Parses a state name of a ListTransactions filter; Kafka's names are the enum names.</summary>
    public static bool TryParseKafkaName(string name, out TransactionState state) =>
        Enum.TryParse(name, ignoreCase: false, out state) && Enum.IsDefined(state) && state.ToString() == name;
}
