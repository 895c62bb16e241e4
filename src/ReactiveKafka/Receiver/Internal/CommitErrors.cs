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
        _ => false,
    };
}
