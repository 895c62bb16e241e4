namespace ReactiveKafka.Protocol;

/// <summary>Kafka's protocol error codes, as Apache Kafka's <c>Errors</c> defines them.</summary>
public enum ErrorCode : short
{
    /// <summary>The server experienced an unexpected error.</summary>
    UnknownServerError = -1,
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The requested offset is not within the range of offsets maintained by the server.</summary>
    OffsetOutOfRange = 1,
    /// <summary>The message contents do not match the message CRC, or the message is otherwise corrupt.</summary>
    CorruptMessage = 2,
    /// <summary>This server does not host this topic-partition.</summary>
    UnknownTopicOrPartition = 3,
    /// <summary>The requested fetch size is invalid.</summary>
    InvalidFetchSize = 4,
    /// <summary>There is no leader for this topic-partition.</summary>
    LeaderNotAvailable = 5,
    /// <summary>This server is not the leader for that topic-partition.</summary>
    NotLeaderOrFollower = 6,
    /// <summary>The request timed out.</summary>
    RequestTimedOut = 7,
    /// <summary>The broker is not available.</summary>
    BrokerNotAvailable = 8,
    /// <summary>The replica is not available for the requested topic-partition.</summary>
    ReplicaNotAvailable = 9,
    /// <summary>The request included a message larger than the max message size the server will accept.</summary>
    MessageTooLarge = 10,
    /// <summary>The controller moved to another broker.</summary>
    StaleControllerEpoch = 11,
    /// <summary>The metadata field of the offset request was too large.</summary>
    OffsetMetadataTooLarge = 12,
    /// <summary>The server disconnected before a response was received.</summary>
    NetworkException = 13,
    /// <summary>The coordinator is loading and hence can't process requests.</summary>
    CoordinatorLoadInProgress = 14,
    /// <summary>The coordinator is not available.</summary>
    CoordinatorNotAvailable = 15,
    /// <summary>This is not the correct coordinator.</summary>
    NotCoordinator = 16,
    /// <summary>The request attempted to perform an operation on an invalid topic.</summary>
    InvalidTopicException = 17,
    /// <summary>The request included message batch larger than the configured segment size on the server.</summary>
    RecordListTooLarge = 18,
    /// <summary>Messages are rejected since there are fewer in-sync replicas than required.</summary>
    NotEnoughReplicas = 19,
    /// <summary>Messages are written to the log, but to fewer in-sync replicas than required.</summary>
    NotEnoughReplicasAfterAppend = 20,
    /// <summary>Produce request specified an invalid value for required acks.</summary>
    InvalidRequiredAcks = 21,
    /// <summary>Specified group generation id is not valid.</summary>
    IllegalGeneration = 22,
    /// <summary>The group member's supported protocols are incompatible with those of existing members.</summary>
    InconsistentGroupProtocol = 23,
    /// <summary>The configured groupId is invalid.</summary>
    InvalidGroupId = 24,
    /// <summary>The coordinator is not aware of this member.</summary>
    UnknownMemberId = 25,
    /// <summary>The session timeout is not within the range allowed by the broker.</summary>
    InvalidSessionTimeout = 26,
    /// <summary>The group is rebalancing, so a rejoin is needed.</summary>
    RebalanceInProgress = 27,
    /// <summary>The committing offset data size is not valid.</summary>
    InvalidCommitOffsetSize = 28,
    /// <summary>Topic authorization failed.</summary>
    TopicAuthorizationFailed = 29,
    /// <summary>Group authorization failed.</summary>
    GroupAuthorizationFailed = 30,
    /// <summary>Cluster authorization failed.</summary>
    ClusterAuthorizationFailed = 31,
    /// <summary>The timestamp of the message is out of acceptable range.</summary>
    InvalidTimestamp = 32,
    /// <summary>The broker does not support the requested SASL mechanism.</summary>
    UnsupportedSaslMechanism = 33,
    /// <summary>Request is not valid given the current SASL state.</summary>
    IllegalSaslState = 34,
    /// <summary>The version of API is not supported.</summary>
    UnsupportedVersion = 35,
    /// <summary>Topic with this name already exists.</summary>
    TopicAlreadyExists = 36,
    /// <summary>Number of partitions is below 1.</summary>
    InvalidPartitions = 37,
    /// <summary>Replication factor is below 1 or larger than the number of available brokers.</summary>
    InvalidReplicationFactor = 38,
    /// <summary>Replica assignment is invalid.</summary>
    InvalidReplicaAssignment = 39,
    /// <summary>Configuration is invalid.</summary>
    InvalidConfig = 40,
    /// <summary>This is not the correct controller for this cluster.</summary>
    NotController = 41,
    /// <summary>This most likely occurs because of a request being malformed by the client library.</summary>
    InvalidRequest = 42,
    /// <summary>The message format version on the broker does not support the request.</summary>
    UnsupportedForMessageFormat = 43,
    /// <summary>Request parameters do not satisfy the configured policy.</summary>
    PolicyViolation = 44,
    /// <summary>The broker received an out of order sequence number.</summary>
    OutOfOrderSequenceNumber = 45,
    /// <summary>The broker received a duplicate sequence number.</summary>
    DuplicateSequenceNumber = 46,
    /// <summary>Producer attempted to produce with an old epoch.</summary>
    InvalidProducerEpoch = 47,
    /// <summary>The producer attempted a transactional operation in an invalid state.</summary>
    InvalidTxnState = 48,
    /// <summary>The producer attempted to use a producer id which is not currently assigned to its transactional id.</summary>
    InvalidProducerIdMapping = 49,
    /// <summary>The transaction timeout is larger than the maximum value allowed by the broker.</summary>
    InvalidTransactionTimeout = 50,
    /// <summary>The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.</summary>
    ConcurrentTransactions = 51,
    /// <summary>Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator.</summary>
    TransactionCoordinatorFenced = 52,
    /// <summary>Transactional Id authorization failed.</summary>
    TransactionalIdAuthorizationFailed = 53,
    /// <summary>Security features are disabled.</summary>
    SecurityDisabled = 54,
    /// <summary>The broker did not attempt to execute this operation.</summary>
    OperationNotAttempted = 55,
    /// <summary>Disk error when trying to access log file on the disk.</summary>
    KafkaStorageError = 56,
    /// <summary>The user-specified log directory is not found in the broker config.</summary>
    LogDirNotFound = 57,
    /// <summary>SASL Authentication failed.</summary>
    SaslAuthenticationFailed = 58,
    /// <summary>The broker could not locate the producer metadata associated with the producerId.</summary>
    UnknownProducerId = 59,
    /// <summary>A partition reassignment is in progress.</summary>
    ReassignmentInProgress = 60,
    /// <summary>Delegation Token feature is not enabled.</summary>
    DelegationTokenAuthDisabled = 61,
    /// <summary>Delegation Token is not found on server.</summary>
    DelegationTokenNotFound = 62,
    /// <summary>Specified Principal is not valid Owner/Renewer.</summary>
    DelegationTokenOwnerMismatch = 63,
    /// <summary>Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels.</summary>
    DelegationTokenRequestNotAllowed = 64,
    /// <summary>Delegation Token authorization failed.</summary>
    DelegationTokenAuthorizationFailed = 65,
    /// <summary>Delegation Token is expired.</summary>
    DelegationTokenExpired = 66,
    /// <summary>Supplied principalType is not supported.</summary>
    InvalidPrincipalType = 67,
    /// <summary>The group is not empty.</summary>
    NonEmptyGroup = 68,
    /// <summary>The group id does not exist.</summary>
    GroupIdNotFound = 69,
    /// <summary>The fetch session ID was not found.</summary>
    FetchSessionIdNotFound = 70,
    /// <summary>The fetch session epoch is invalid.</summary>
    InvalidFetchSessionEpoch = 71,
    /// <summary>There is no listener on the leader broker that matches the listener on which metadata request was processed.</summary>
    ListenerNotFound = 72,
    /// <summary>Topic deletion is disabled.</summary>
    TopicDeletionDisabled = 73,
    /// <summary>The leader epoch in the request is older than the epoch on the broker.</summary>
    FencedLeaderEpoch = 74,
    /// <summary>The leader epoch in the request is newer than the epoch on the broker.</summary>
    UnknownLeaderEpoch = 75,
    /// <summary>The requesting client does not support the compression type of given partition.</summary>
    UnsupportedCompressionType = 76,
    /// <summary>Broker epoch has changed.</summary>
    StaleBrokerEpoch = 77,
    /// <summary>The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.</summary>
    OffsetNotAvailable = 78,
    /// <summary>The group member needs to have a valid member id before actually entering a consumer group.</summary>
    MemberIdRequired = 79,
    /// <summary>The preferred leader was not available.</summary>
    PreferredLeaderNotAvailable = 80,
    /// <summary>The consumer group has reached its max size.</summary>
    GroupMaxSizeReached = 81,
    /// <summary>The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.</summary>
    FencedInstanceId = 82,
    /// <summary>Eligible topic partition leaders are not available.</summary>
    EligibleLeadersNotAvailable = 83,
    /// <summary>Leader election not needed for topic partition.</summary>
    ElectionNotNeeded = 84,
    /// <summary>No partition reassignment is in progress.</summary>
    NoReassignmentInProgress = 85,
    /// <summary>Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.</summary>
    GroupSubscribedToTopic = 86,
    /// <summary>This record has failed the validation on broker and hence will be rejected.</summary>
    InvalidRecord = 87,
    /// <summary>There are unstable offsets that need to be cleared.</summary>
    UnstableOffsetCommit = 88,
    /// <summary>The throttling quota has been exceeded.</summary>
    ThrottlingQuotaExceeded = 89,
    /// <summary>There is a newer producer with the same transactionalId which fences the current one.</summary>
    ProducerFenced = 90,
    /// <summary>A request illegally referred to a resource that does not exist.</summary>
    ResourceNotFound = 91,
    /// <summary>A request illegally referred to the same resource twice.</summary>
    DuplicateResource = 92,
    /// <summary>Requested credential would not meet criteria for acceptability.</summary>
    UnacceptableCredential = 93,
    /// <summary>Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.</summary>
    InconsistentVoterSet = 94,
    /// <summary>The given update version was invalid.</summary>
    InvalidUpdateVersion = 95,
    /// <summary>Unable to update finalized features due to an unexpected server error.</summary>
    FeatureUpdateFailed = 96,
    /// <summary>Request principal deserialization failed during forwarding.</summary>
    PrincipalDeserializationFailure = 97,
    /// <summary>Requested snapshot was not found.</summary>
    SnapshotNotFound = 98,
    /// <summary>Requested position is not greater than or equal to zero, and less than the size of the snapshot.</summary>
    PositionOutOfRange = 99,
    /// <summary>This server does not host this topic ID.</summary>
    UnknownTopicId = 100,
    /// <summary>This broker ID is already in use.</summary>
    DuplicateBrokerRegistration = 101,
    /// <summary>The given broker ID was not registered.</summary>
    BrokerIdNotRegistered = 102,
    /// <summary>The log's topic ID did not match the topic ID in the request.</summary>
    InconsistentTopicId = 103,
    /// <summary>The clusterId in the request does not match that found on the server.</summary>
    InconsistentClusterId = 104,
    /// <summary>The transactionalId could not be found.</summary>
    TransactionalIdNotFound = 105,
    /// <summary>The fetch session encountered inconsistent topic ID usage.</summary>
    FetchSessionTopicIdError = 106,
    /// <summary>The new ISR contains at least one ineligible replica.</summary>
    IneligibleReplica = 107,
    /// <summary>The AlterPartition request successfully updated the partition state but the leader has changed.</summary>
    NewLeaderElected = 108,
    /// <summary>The requested offset is moved to tiered storage.</summary>
    OffsetMovedToTieredStorage = 109,
    /// <summary>The member epoch is fenced by the group coordinator.</summary>
    FencedMemberEpoch = 110,
    /// <summary>The instance ID is still used by another member in the consumer group.</summary>
    UnreleasedInstanceId = 111,
    /// <summary>The assignor or its version range is not supported by the consumer group.</summary>
    UnsupportedAssignor = 112,
    /// <summary>The member epoch is stale.</summary>
    StaleMemberEpoch = 113,
    /// <summary>The request was sent to an endpoint of the wrong type.</summary>
    MismatchedEndpointType = 114,
    /// <summary>This endpoint type is not supported yet.</summary>
    UnsupportedEndpointType = 115,
    /// <summary>This controller ID is not known.</summary>
    UnknownControllerId = 116,
    /// <summary>Client sent a push telemetry request with an invalid or outdated subscription ID.</summary>
    UnknownSubscriptionId = 117,
    /// <summary>Client sent a push telemetry request larger than the maximum size the broker will accept.</summary>
    TelemetryTooLarge = 118,
    /// <summary>The controller has considered the broker registration to be invalid.</summary>
    InvalidRegistration = 119,
    /// <summary>The server encountered an error with the transaction; the client can abort it and continue.</summary>
    TransactionAbortable = 120,
}
