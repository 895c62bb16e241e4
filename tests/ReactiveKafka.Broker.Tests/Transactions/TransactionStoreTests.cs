using System.Collections.Immutable;
using ReactiveKafka.Broker.Tests.Storage;
using ReactiveKafka.Broker.Transactions;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Transactions;

public sealed class TransactionStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static TransactionMetadata Metadata(string id, short epoch, TransactionState state = TransactionState.Ongoing, params TransactionPartition[] partitions) =>
        TransactionMetadata.New(id, 1000, 60_000, 5) with
        {
            ProducerEpoch = epoch,
            State = state,
            Partitions = [.. partitions],
            Groups = ImmutableSortedSet.Create(StringComparer.Ordinal, "g1"),
            StartTimestampMs = 7,
        };

    [Fact]
    public async Task Append_ThenReopen_RestoresTheLatestMetadataPerIdAndForgetsTombstoned()
    {
        var kept = Metadata("a", 3, TransactionState.PrepareCommit, new("t", 0), new("u", 2));
        await using (var store = TransactionStore.Open(_directory.Path))
        {
            await store.Append(new TransactionLogRecord.Metadata(Metadata("a", 1)));
            await store.Append(new TransactionLogRecord.Metadata(kept));
            await store.Append(new TransactionLogRecord.Metadata(Metadata("b", 0)));
            await store.Append(new TransactionLogRecord.Tombstone("b"));
        }

        await using var reopened = TransactionStore.Open(_directory.Path);

        var restored = Assert.Single(reopened.Durable);
        Assert.Equal(kept with { Partitions = restored.Partitions, Groups = restored.Groups }, restored);
        Assert.Equal(kept.Partitions, restored.Partitions);
        Assert.Equal(kept.Groups, restored.Groups);
    }

    [Fact]
    public async Task Open_TornLastFrame_IsTruncatedAndEarlierRecordsKept()
    {
        string path;
        await using (var store = TransactionStore.Open(_directory.Path))
        {
            path = store.Path;
            await store.Append(new TransactionLogRecord.Metadata(Metadata("a", 1)));
            await store.Append(new TransactionLogRecord.Metadata(Metadata("a", 2)));
        }

        var intact = new FileInfo(path).Length;
        await File.AppendAllBytesAsync(path, new TransactionLogRecord.Metadata(Metadata("a", 3)).ToFrame()[..20], TestContext.Current.CancellationToken);

        await using (var reopened = TransactionStore.Open(_directory.Path))
        {
            Assert.Equal(2, Assert.Single(reopened.Durable).ProducerEpoch);
            Assert.Equal(intact, new FileInfo(path).Length);
            await reopened.Append(new TransactionLogRecord.Metadata(Metadata("a", 4)));
        }

        await using var again = TransactionStore.Open(_directory.Path);
        Assert.Equal(4, Assert.Single(again.Durable).ProducerEpoch);
    }

    [Fact]
    public async Task Open_CorruptFrameInTheMiddle_StopsThereAndKeepsWhatCameBefore()
    {
        string path;
        await using (var store = TransactionStore.Open(_directory.Path))
        {
            path = store.Path;
            await store.Append(new TransactionLogRecord.Metadata(Metadata("a", 1)));
            await store.Append(new TransactionLogRecord.Metadata(Metadata("a", 2)));
        }

        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        bytes[^3] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);

        await using var reopened = TransactionStore.Open(_directory.Path);
        Assert.Equal(1, Assert.Single(reopened.Durable).ProducerEpoch);
    }

    [Fact]
    public async Task Append_ManyTransitionsOfFewIds_FileIsCompactedWhileRunningAndStaysBounded()
    {
        await using (var store = TransactionStore.Open(_directory.Path))
        {
            for (short epoch = 0; epoch < 3000; epoch++)
            {
                await store.Append(new TransactionLogRecord.Metadata(Metadata("id-" + (epoch % 3), epoch, TransactionState.Ongoing, new TransactionPartition("topic", epoch % 7))));
            }

            Assert.True(store.Compactions > 0, "The store never compacted.");
            Assert.True(store.Length < 2 * TransactionStore.CompactionMinBytes, $"The file is {store.Length} bytes after compaction.");
            Assert.Equal(3, store.Durable.Count);
        }

        await using var reopened = TransactionStore.Open(_directory.Path);
        Assert.Equal([2997, 2998, 2999], reopened.Durable.Select(m => (int)m.ProducerEpoch).Order());
    }

    [Fact]
    public async Task Open_LeftoverTemporaryFileOfACrashedCompaction_IsIgnoredAndRemoved()
    {
        string path;
        await using (var store = TransactionStore.Open(_directory.Path))
        {
            path = store.Path;
            await store.Append(new TransactionLogRecord.Metadata(Metadata("a", 5)));
        }

        await File.WriteAllBytesAsync(path + ".compacting", [1, 2, 3], TestContext.Current.CancellationToken);

        await using var reopened = TransactionStore.Open(_directory.Path);
        Assert.Equal(5, Assert.Single(reopened.Durable).ProducerEpoch);
        Assert.False(File.Exists(path + ".compacting"));
    }
}
