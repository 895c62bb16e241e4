using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>Which commit errors are worth retrying (as Kafka's clients classify them). Thread-safe (stateless).</summary>
/// <remarks>
/// Three kinds. Transient trouble (timeouts, transport, coordinator moving): retried up to
/// <see cref="ReceiverOptions{TKey, TValue}.MaxCommitAttempts"/>, then the sequence fails. Rebalance-like
/// (<see cref="IsRebalance"/>): the member lost, or is losing, its partitions; never the end of the sequence. Everything
/// else, and every error librdkafka marks fatal, ends the sequence at once: a permission the group lacks
/// (GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED), an offset the broker refuses (OFFSET_METADATA_TOO_LARGE,
/// INVALID_COMMIT_OFFSET_SIZE), and FENCED_INSTANCE_ID: another instance took this member's <c>group.instance.id</c>
/// (static membership); Kafka's Java consumer throws it as fatal and librdkafka raises a fatal error for it, because a
/// zombie that went on reading would duplicate the live instance's work.
/// </remarks>
internal static class CommitErrors
{
    public static bool IsRetriable(Error error) => !error.IsFatal && error.Code switch
    {
        ErrorCode.Local_TimedOut or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_WaitCoord
            or ErrorCode.Local_Retry or ErrorCode.Local_TimedOutQueue or ErrorCode.Local_BadMsg => true,
        ErrorCode.RequestTimedOut or ErrorCode.NetworkException or ErrorCode.GroupLoadInProgress
            or ErrorCode.GroupCoordinatorNotAvailable or ErrorCode.NotCoordinatorForGroup
            or ErrorCode.UnknownTopicOrPart or ErrorCode.NotLeaderForPartition or ErrorCode.LeaderNotAvailable
            or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.KafkaStorageError => true,
        _ => IsRebalance(error),
    };

    /// <summary>
    /// The commit was refused because this member's claim to its partitions is gone or going, as Kafka's Java consumer
    /// classifies it (CommitFailedException / RebalanceInProgressException, neither fatal to the consumer):
    /// <list type="bullet">
    /// <item><see cref="ErrorCode.UnknownMemberId"/>: the coordinator forgot the member (session timeout after a pause
    /// or a network partition, a coordinator restart or move). librdkafka then treats the assignment as lost, calls the
    /// lost handler and joins again with a new member id.</item>
    /// <item><see cref="ErrorCode.IllegalGeneration"/>: the group moved to a newer generation (librdkafka also treats
    /// the assignment as lost unless a rebalance is already under way).</item>
    /// <item><see cref="ErrorCode.RebalanceInProgress"/>: the group is completing a rebalance (with cooperative
    /// assignment the consumer keeps reading through it, so an interval commit meets one often).</item>
    /// </list>
    /// The acknowledged offsets of the partitions that move cannot be committed by this member: their next owner (maybe
    /// this receiver again, in a new ownership period) reads them again from the group's committed offsets, so the
    /// result is duplicates, never loss. The commit is retried (without pausing) for the partitions still owned; when
    /// the attempts run out it is left to the next due commit instead of ending the sequence.
    /// </summary>
    public static bool IsRebalance(Error error) =>
        !error.IsFatal && error.Code is ErrorCode.IllegalGeneration or ErrorCode.RebalanceInProgress or ErrorCode.UnknownMemberId;
}
