using ReactiveKafka.Broker.Groups;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

/// <summary>Offsets committed in a transaction: pending until the transaction ends, kept across restarts.</summary>
public sealed class TransactionalOffsetStoreTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly GroupTopicPartition P0 = new("t", 0);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "rk-txn-offsets-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static OffsetLogRecord Pending(long producerId, long offset, string group = "g") =>
        new OffsetLogRecord.TransactionalCommit(group, producerId, P0, new CommittedOffset(offset, -1, "", At));

    private static OffsetLogRecord Plain(long offset) => new OffsetLogRecord.Commit("g", P0, new CommittedOffset(offset, -1, "", At));

    [Fact]
    public async Task Pending_InvisibleUntilCommittedThenVisible()
    {
        await using var store = OffsetStore.Open(_directory);
        await store.Append(Pending(7, 10));

        Assert.Null(store.GetOffset("g", P0));
        Assert.True(store.HasPendingTransactionalOffsets("g", P0));

        await store.Append(new OffsetLogRecord.TransactionEnd("g", 7, Committed: true));

        Assert.Equal(10, store.GetOffset("g", P0)!.Offset);
        Assert.False(store.HasPendingTransactionalOffsets("g"));
    }

    [Fact]
    public async Task Abort_PendingOffsetsVanishAndTheEarlierCommitStays()
    {
        await using var store = OffsetStore.Open(_directory);
        await store.Append(Plain(3), Pending(7, 10), new OffsetLogRecord.TransactionEnd("g", 7, Committed: false));

        Assert.Equal(3, store.GetOffset("g", P0)!.Offset);
        Assert.False(store.HasPendingTransactionalOffsets("g"));
    }

    [Fact]
    public async Task PlainCommitWrittenAfterThePendingOne_WinsWhenTheTransactionCommits()
    {
        await using var store = OffsetStore.Open(_directory);
        await store.Append(Pending(7, 10), Plain(20), new OffsetLogRecord.TransactionEnd("g", 7, Committed: true));

        Assert.Equal(20, store.GetOffset("g", P0)!.Offset);
    }

    [Fact]
    public async Task Restart_PendingStaysPendingAndEndedStaysEnded()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await store.Append(Pending(7, 10, "open"), Pending(8, 11, "done"), new OffsetLogRecord.TransactionEnd("done", 8, Committed: true));
        }

        await using var reopened = OffsetStore.Open(_directory);

        Assert.True(reopened.HasPendingTransactionalOffsets("open", P0));
        Assert.Null(reopened.GetOffset("open", P0));
        Assert.Equal(11, reopened.GetOffset("done", P0)!.Offset);
        await reopened.Append(new OffsetLogRecord.TransactionEnd("open", 7, Committed: true));
        Assert.Equal(10, reopened.GetOffset("open", P0)!.Offset);
    }

    [Fact]
    public async Task Compaction_KeepsPendingOffsetsAndTheirOrderAgainstPlainCommits()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await store.Append(Pending(7, 10));
            await store.Append(Plain(20));
            for (var i = 0; i < 3000; i++)
            {
                await store.Append(new OffsetLogRecord.Commit("other", new GroupTopicPartition("t", 0), new CommittedOffset(i, -1, "", At)));
            }

            Assert.True(store.Log.Compactions > 0, "The offsets log was not compacted while running.");
            Assert.True(store.HasPendingTransactionalOffsets("g", P0));
            Assert.Equal(20, store.GetOffset("g", P0)!.Offset);
        }

        await using (var compacted = OffsetStore.Open(_directory))
        {
            Assert.True(compacted.HasPendingTransactionalOffsets("g", P0));
            await compacted.Append(new OffsetLogRecord.TransactionEnd("g", 7, Committed: true));
            Assert.Equal(20, compacted.GetOffset("g", P0)!.Offset);
        }
    }
}
