using Confluent.Kafka;

namespace ReactiveKafka.Receiver.Internal;

/// <summary>Which commit errors are worth retrying (as Kafka's clients classify them). Thread-safe (stateless).</summary>
internal static class CommitErrors
{
    public static bool IsRetriable(Error error) => !error.IsFatal && error.Code switch
    {
        ErrorCode.Local_TimedOut or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_WaitCoord
            or ErrorCode.Local_Retry or ErrorCode.Local_TimedOutQueue or ErrorCode.Local_BadMsg => true,
        ErrorCode.RequestTimedOut or ErrorCode.NetworkException or ErrorCode.GroupLoadInProgress
            or ErrorCode.GroupCoordinatorNotAvailable or ErrorCode.NotCoordinatorForGroup or ErrorCode.RebalanceInProgress
            or ErrorCode.UnknownTopicOrPart or ErrorCode.NotLeaderForPartition or ErrorCode.LeaderNotAvailable
            or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.KafkaStorageError => true,
        _ => IsRebalance(error),
    };

    /// <summary>
    /// The commit raced a rebalance: its generation is no longer the group's (<see cref="ErrorCode.IllegalGeneration"/>)
    /// or the group is completing one (<see cref="ErrorCode.RebalanceInProgress"/>). With cooperative (incremental)
    /// assignment the consumer keeps reading through a rebalance, so an interval commit meets one often (measured: it
    /// ended the receiver on the bundled broker and on librdkafka's mock cluster). Retried with the next generation:
    /// the partitions that moved were committed on their revocation, the others are committed by the retry.
    /// </summary>
    public static bool IsRebalance(Error error) => !error.IsFatal && error.Code is ErrorCode.IllegalGeneration or ErrorCode.RebalanceInProgress;
}
