using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// What a <see cref="ConsumerGroup"/> needs from its coordinator: the settings, the clock and its
/// timers, the offset store and the map of groups. The coordinator implements it; tests of one group
/// implement it over virtual time and an in-memory log.
/// </summary>
internal interface IGroupHost
{
    /// <summary>The coordinator's settings.</summary>
    GroupCoordinatorOptions Options { get; }

    /// <summary>Where the group logs its transitions.</summary>
    ILogger Logger { get; }

    /// <summary>The current time.</summary>
    DateTimeOffset Now { get; }

    /// <summary>
    /// Runs <paramref name="callback"/> once after <paramref name="due"/> on a timer thread (never inline),
    /// unless the timer is disposed first or the coordinator has stopped.
    /// </summary>
    ITimer Schedule(TimeSpan due, Action callback);

    /// <summary>
    /// Enqueues records to the offsets log, in call order (the group calls it under its lock, so the log
    /// records its decisions in order); the task completes when they are durable and readable.
    /// </summary>
    Task Append(IReadOnlyList<OffsetLogRecord> records);

    /// <summary>Writes records whose durability nobody waits for (failures are logged).</summary>
    void AppendInBackground(IReadOnlyList<OffsetLogRecord> records);

    /// <summary>The committed offsets of a group, ordered by topic and partition.</summary>
    IReadOnlyList<KeyValuePair<GroupTopicPartition, CommittedOffset>> GetOffsets(string groupId);

    /// <summary>Removes a group that became Dead from the coordinator's map.</summary>
    void Forget(ConsumerGroup group);

    /// <summary>Whether the group has offsets of a transaction that has not ended (such a group is never expired).</summary>
    bool HasPendingTransactionalOffsets(string groupId) => false;
}
