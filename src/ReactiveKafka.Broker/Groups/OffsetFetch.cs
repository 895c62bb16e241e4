using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>A topic-partition.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
internal readonly record struct GroupTopicPartition(string Topic, int Partition);

/// <summary>A committed offset as OffsetFetch reports it; -1 when none is committed.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The committed offset, or -1.</param>
/// <param name="LeaderEpoch">The committed leader epoch, or -1.</param>
/// <param name="Metadata">The committed metadata (empty when none).</param>
/// <param name="Error">The partition's error code.</param>
internal sealed record FetchedOffset(string Topic, int Partition, long Offset, int LeaderEpoch, string Metadata, ErrorCode Error);

/// <summary>The outcome of an OffsetFetch for one group.</summary>
/// <param name="Error">The group-level error code.</param>
/// <param name="Partitions">The partitions' offsets.</param>
internal sealed record OffsetFetchResult(ErrorCode Error, IReadOnlyList<FetchedOffset> Partitions);
