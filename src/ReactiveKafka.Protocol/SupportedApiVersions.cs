namespace ReactiveKafka.Protocol;

/// <summary>
/// The one table of API version ranges ReactiveKafka speaks: the bundled broker advertises exactly
/// these in ApiVersions and refuses anything outside them.
/// </summary>
/// <remarks>
/// Why these ranges:
/// <list type="bullet">
/// <item>Produce starts at 3 and Fetch at 4 because those are the first versions that carry
/// RecordBatch v2 (magic 2); the broker stores only magic 2 and does not down-convert.</item>
/// <item>Fetch stops at 12: version 13 addresses topics by id only, which needs fetch sessions keyed
/// by id (librdkafka 2.x negotiates 12 happily).</item>
/// <item>kafkajs 2.x and kafka-python 2.x speak only non-flexible versions (e.g. Produce ≤ 7, Fetch ≤ 11,
/// Metadata ≤ 6, ApiVersions ≤ 2), so every range reaches down to the old non-flexible versions.</item>
/// <item>OffsetCommit stops at 8 and OffsetFetch at 8: version 9 belongs to the KIP-848 consumer protocol
/// (member epochs), which the classic group coordinator does not run.</item>
/// <item>FindCoordinator stops at 4 (batched keys); 5–6 only add share-group and abortable error codes.</item>
/// <item>Idempotent and transactional producer APIs are decoded but not advertised until the broker
/// implements them; a client that calls them anyway gets UNSUPPORTED_VERSION in the response.</item>
/// </list>
/// </remarks>
public static class SupportedApiVersions
{
    /// <summary>The advertised ranges, by API key.</summary>
    public static IReadOnlyList<ApiVersionRange> Advertised { get; } =
    [
        new(ApiKey.Produce, 3, 11),
        new(ApiKey.Fetch, 4, 12),
        new(ApiKey.ListOffsets, 0, 8),
        new(ApiKey.Metadata, 0, 12),
        new(ApiKey.OffsetCommit, 0, 8),
        new(ApiKey.OffsetFetch, 0, 8),
        new(ApiKey.FindCoordinator, 0, 4),
        new(ApiKey.JoinGroup, 0, 9),
        new(ApiKey.Heartbeat, 0, 4),
        new(ApiKey.LeaveGroup, 0, 5),
        new(ApiKey.SyncGroup, 0, 5),
        new(ApiKey.DescribeGroups, 0, 5),
        new(ApiKey.ListGroups, 0, 4),
        new(ApiKey.SaslHandshake, 0, 1),
        new(ApiKey.ApiVersions, 0, 4),
        new(ApiKey.CreateTopics, 0, 7),
        new(ApiKey.DeleteTopics, 0, 6),
        new(ApiKey.DeleteRecords, 0, 2),
        new(ApiKey.OffsetForLeaderEpoch, 0, 4),
        new(ApiKey.DescribeConfigs, 0, 4),
        new(ApiKey.AlterConfigs, 0, 2),
        new(ApiKey.SaslAuthenticate, 0, 2),
        new(ApiKey.CreatePartitions, 0, 3),
        new(ApiKey.DeleteGroups, 0, 2),
        new(ApiKey.IncrementalAlterConfigs, 0, 1),
        new(ApiKey.OffsetDelete, 0, 0),
        new(ApiKey.DescribeCluster, 0, 1),
    ];

    /// <summary>APIs whose codecs exist but which are answered with UNSUPPORTED_VERSION until implemented.</summary>
    public static IReadOnlyList<ApiVersionRange> NotYetServed { get; } =
    [
        new(ApiKey.InitProducerId, 0, 5),
        new(ApiKey.AddPartitionsToTxn, 0, 5),
        new(ApiKey.AddOffsetsToTxn, 0, 4),
        new(ApiKey.EndTxn, 0, 5),
        new(ApiKey.TxnOffsetCommit, 0, 4),
    ];

    /// <summary>Finds the advertised range of <paramref name="apiKey"/>, if any.</summary>
    public static ApiVersionRange? Find(ApiKey apiKey) => FindIn(Advertised, apiKey);

    /// <summary>Finds the decoded-but-not-served range of <paramref name="apiKey"/>, if any.</summary>
    public static ApiVersionRange? FindNotYetServed(ApiKey apiKey) => FindIn(NotYetServed, apiKey);

    private static ApiVersionRange? FindIn(IReadOnlyList<ApiVersionRange> table, ApiKey apiKey)
    {
        foreach (var range in table)
        {
            if (range.ApiKey == apiKey)
            {
                return range;
            }
        }

        return null;
    }
}
