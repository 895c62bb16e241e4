namespace ReactiveKafka.Protocol;

/// <summary>The Kafka API keys (the first field of every request header).</summary>
public enum ApiKey : short
{
    /// <summary>Produce (key 0).</summary>
    Produce = 0,

    /// <summary>Fetch (key 1).</summary>
    Fetch = 1,

    /// <summary>ListOffsets (key 2).</summary>
    ListOffsets = 2,

    /// <summary>Metadata (key 3).</summary>
    Metadata = 3,

    /// <summary>LeaderAndIsr (key 4).</summary>
    LeaderAndIsr = 4,

    /// <summary>StopReplica (key 5).</summary>
    StopReplica = 5,

    /// <summary>UpdateMetadata (key 6).</summary>
    UpdateMetadata = 6,

    /// <summary>ControlledShutdown (key 7).</summary>
    ControlledShutdown = 7,

    /// <summary>OffsetCommit (key 8).</summary>
    OffsetCommit = 8,

    /// <summary>OffsetFetch (key 9).</summary>
    OffsetFetch = 9,

    /// <summary>FindCoordinator (key 10).</summary>
    FindCoordinator = 10,

    /// <summary>JoinGroup (key 11).</summary>
    JoinGroup = 11,

    /// <summary>Heartbeat (key 12).</summary>
    Heartbeat = 12,

    /// <summary>LeaveGroup (key 13).</summary>
    LeaveGroup = 13,

    /// <summary>SyncGroup (key 14).</summary>
    SyncGroup = 14,

    /// <summary>DescribeGroups (key 15).</summary>
    DescribeGroups = 15,

    /// <summary>ListGroups (key 16).</summary>
    ListGroups = 16,

    /// <summary>SaslHandshake (key 17).</summary>
    SaslHandshake = 17,

    /// <summary>ApiVersions (key 18).</summary>
    ApiVersions = 18,

    /// <summary>CreateTopics (key 19).</summary>
    CreateTopics = 19,

    /// <summary>DeleteTopics (key 20).</summary>
    DeleteTopics = 20,

    /// <summary>DeleteRecords (key 21).</summary>
    DeleteRecords = 21,

    /// <summary>InitProducerId (key 22).</summary>
    InitProducerId = 22,

    /// <summary>OffsetForLeaderEpoch (key 23).</summary>
    OffsetForLeaderEpoch = 23,

    /// <summary>AddPartitionsToTxn (key 24).</summary>
    AddPartitionsToTxn = 24,

    /// <summary>AddOffsetsToTxn (key 25).</summary>
    AddOffsetsToTxn = 25,

    /// <summary>EndTxn (key 26).</summary>
    EndTxn = 26,

    /// <summary>WriteTxnMarkers (key 27).</summary>
    WriteTxnMarkers = 27,

    /// <summary>TxnOffsetCommit (key 28).</summary>
    TxnOffsetCommit = 28,

    /// <summary>DescribeAcls (key 29).</summary>
    DescribeAcls = 29,

    /// <summary>CreateAcls (key 30).</summary>
    CreateAcls = 30,

    /// <summary>DeleteAcls (key 31).</summary>
    DeleteAcls = 31,

    /// <summary>DescribeConfigs (key 32).</summary>
    DescribeConfigs = 32,

    /// <summary>AlterConfigs (key 33).</summary>
    AlterConfigs = 33,

    /// <summary>AlterReplicaLogDirs (key 34).</summary>
    AlterReplicaLogDirs = 34,

    /// <summary>DescribeLogDirs (key 35).</summary>
    DescribeLogDirs = 35,

    /// <summary>SaslAuthenticate (key 36).</summary>
    SaslAuthenticate = 36,

    /// <summary>CreatePartitions (key 37).</summary>
    CreatePartitions = 37,

    /// <summary>CreateDelegationToken (key 38).</summary>
    CreateDelegationToken = 38,

    /// <summary>RenewDelegationToken (key 39).</summary>
    RenewDelegationToken = 39,

    /// <summary>ExpireDelegationToken (key 40).</summary>
    ExpireDelegationToken = 40,

    /// <summary>DescribeDelegationToken (key 41).</summary>
    DescribeDelegationToken = 41,

    /// <summary>DeleteGroups (key 42).</summary>
    DeleteGroups = 42,

    /// <summary>ElectLeaders (key 43).</summary>
    ElectLeaders = 43,

    /// <summary>IncrementalAlterConfigs (key 44).</summary>
    IncrementalAlterConfigs = 44,

    /// <summary>AlterPartitionReassignments (key 45).</summary>
    AlterPartitionReassignments = 45,

    /// <summary>ListPartitionReassignments (key 46).</summary>
    ListPartitionReassignments = 46,

    /// <summary>OffsetDelete (key 47).</summary>
    OffsetDelete = 47,

    /// <summary>DescribeClientQuotas (key 48).</summary>
    DescribeClientQuotas = 48,

    /// <summary>AlterClientQuotas (key 49).</summary>
    AlterClientQuotas = 49,

    /// <summary>DescribeUserScramCredentials (key 50).</summary>
    DescribeUserScramCredentials = 50,

    /// <summary>AlterUserScramCredentials (key 51).</summary>
    AlterUserScramCredentials = 51,

    /// <summary>Vote (key 52).</summary>
    Vote = 52,

    /// <summary>BeginQuorumEpoch (key 53).</summary>
    BeginQuorumEpoch = 53,

    /// <summary>EndQuorumEpoch (key 54).</summary>
    EndQuorumEpoch = 54,

    /// <summary>DescribeQuorum (key 55).</summary>
    DescribeQuorum = 55,

    /// <summary>AlterPartition (key 56).</summary>
    AlterPartition = 56,

    /// <summary>UpdateFeatures (key 57).</summary>
    UpdateFeatures = 57,

    /// <summary>Envelope (key 58).</summary>
    Envelope = 58,

    /// <summary>FetchSnapshot (key 59).</summary>
    FetchSnapshot = 59,

    /// <summary>DescribeCluster (key 60).</summary>
    DescribeCluster = 60,

    /// <summary>DescribeProducers (key 61).</summary>
    DescribeProducers = 61,

    /// <summary>BrokerRegistration (key 62).</summary>
    BrokerRegistration = 62,

    /// <summary>BrokerHeartbeat (key 63).</summary>
    BrokerHeartbeat = 63,

    /// <summary>UnregisterBroker (key 64).</summary>
    UnregisterBroker = 64,

    /// <summary>DescribeTransactions (key 65).</summary>
    DescribeTransactions = 65,

    /// <summary>ListTransactions (key 66).</summary>
    ListTransactions = 66,

    /// <summary>AllocateProducerIds (key 67).</summary>
    AllocateProducerIds = 67,

    /// <summary>ConsumerGroupHeartbeat (key 68).</summary>
    ConsumerGroupHeartbeat = 68,

    /// <summary>ConsumerGroupDescribe (key 69).</summary>
    ConsumerGroupDescribe = 69,

    /// <summary>ControllerRegistration (key 70).</summary>
    ControllerRegistration = 70,

    /// <summary>GetTelemetrySubscriptions (key 71).</summary>
    GetTelemetrySubscriptions = 71,

    /// <summary>PushTelemetry (key 72).</summary>
    PushTelemetry = 72,

    /// <summary>AssignReplicasToDirs (key 73).</summary>
    AssignReplicasToDirs = 73,

    /// <summary>ListClientMetricsResources (key 74).</summary>
    ListClientMetricsResources = 74,

    /// <summary>DescribeTopicPartitions (key 75).</summary>
    DescribeTopicPartitions = 75,

    /// <summary>ShareGroupHeartbeat (key 76).</summary>
    ShareGroupHeartbeat = 76,

    /// <summary>ShareGroupDescribe (key 77).</summary>
    ShareGroupDescribe = 77,

    /// <summary>ShareFetch (key 78).</summary>
    ShareFetch = 78,

    /// <summary>ShareAcknowledge (key 79).</summary>
    ShareAcknowledge = 79,

    /// <summary>AddRaftVoter (key 80).</summary>
    AddRaftVoter = 80,

    /// <summary>RemoveRaftVoter (key 81).</summary>
    RemoveRaftVoter = 81,

    /// <summary>UpdateRaftVoter (key 82).</summary>
    UpdateRaftVoter = 82,

    /// <summary>InitializeShareGroupState (key 83).</summary>
    InitializeShareGroupState = 83,

    /// <summary>ReadShareGroupState (key 84).</summary>
    ReadShareGroupState = 84,

    /// <summary>WriteShareGroupState (key 85).</summary>
    WriteShareGroupState = 85,

    /// <summary>DeleteShareGroupState (key 86).</summary>
    DeleteShareGroupState = 86,

    /// <summary>ReadShareGroupStateSummary (key 87).</summary>
    ReadShareGroupStateSummary = 87,
}
