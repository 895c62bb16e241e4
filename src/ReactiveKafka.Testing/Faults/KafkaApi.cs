namespace ReactiveKafka.Testing;

/// <summary>
/// The Kafka requests the bundled broker serves, as <see cref="KafkaTestFaults"/> targets them: the values are Kafka's
/// API keys, so fault injection needs nothing from the wire-protocol namespace.
/// </summary>
public enum KafkaApi : short
{
    /// <summary>Produce (key 0).</summary>
    Produce = 0,

    /// <summary>Fetch (key 1).</summary>
    Fetch = 1,

    /// <summary>ListOffsets (key 2).</summary>
    ListOffsets = 2,

    /// <summary>Metadata (key 3).</summary>
    Metadata = 3,

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

    /// <summary>TxnOffsetCommit (key 28).</summary>
    TxnOffsetCommit = 28,

    /// <summary>DescribeConfigs (key 32).</summary>
    DescribeConfigs = 32,

    /// <summary>AlterConfigs (key 33).</summary>
    AlterConfigs = 33,

    /// <summary>SaslAuthenticate (key 36).</summary>
    SaslAuthenticate = 36,

    /// <summary>CreatePartitions (key 37).</summary>
    CreatePartitions = 37,

    /// <summary>DeleteGroups (key 42).</summary>
    DeleteGroups = 42,

    /// <summary>IncrementalAlterConfigs (key 44).</summary>
    IncrementalAlterConfigs = 44,

    /// <summary>DescribeCluster (key 60).</summary>
    DescribeCluster = 60,
}
