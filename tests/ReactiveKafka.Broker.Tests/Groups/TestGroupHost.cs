using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Groups;

namespace ReactiveKafka.Broker.Tests.Groups;

/// <summary>A coordinator stand-in for testing one <see cref="ConsumerGroup"/>: virtual time and an in-memory offsets log.</summary>
internal sealed class TestGroupHost(GroupCoordinatorOptions? options = null) : IGroupHost
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Group, GroupTopicPartition Partition), CommittedOffset> _offsets = [];

    public ManualTimeProvider Time { get; } = new();

    public List<OffsetLogRecord> Log { get; } = [];

    public List<ConsumerGroup> Forgotten { get; } = [];

    public GroupCoordinatorOptions Options { get; } = options ?? new GroupCoordinatorOptions { InitialRebalanceDelay = TimeSpan.Zero };

    public ILogger Logger => NullLogger.Instance;

    public DateTimeOffset Now => Time.GetUtcNow();

    public ITimer Schedule(TimeSpan due, Action callback) => Time.CreateTimer(_ => callback(), null, due, Timeout.InfiniteTimeSpan);

    public Task Append(IReadOnlyList<OffsetLogRecord> records)
    {
        lock (_lock)
        {
            foreach (var record in records)
            {
                Log.Add(record);
                switch (record)
                {
                    case OffsetLogRecord.Commit c:
                        _offsets[(c.GroupId, c.Partition)] = c.Value;
                        break;
                    case OffsetLogRecord.OffsetTombstone t:
                        _offsets.Remove((t.GroupId, t.Partition));
                        break;
                }
            }
        }

        return Task.CompletedTask;
    }

    public void AppendInBackground(IReadOnlyList<OffsetLogRecord> records) => Append(records);

    public IReadOnlyList<KeyValuePair<GroupTopicPartition, CommittedOffset>> GetOffsets(string groupId)
    {
        lock (_lock)
        {
            return [.. _offsets.Where(o => o.Key.Group == groupId).Select(o => KeyValuePair.Create(o.Key.Partition, o.Value))];
        }
    }

    public void Forget(ConsumerGroup group) => Forgotten.Add(group);
}
