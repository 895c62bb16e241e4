using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Storage.StateLog;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Groups;

public sealed class OffsetStoreTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "rk-offsets-" + Guid.NewGuid().ToString("N"));

    private string LogPath => Path.Combine(_directory, OffsetStore.DirectoryName, "offsets.log");

    private static OffsetLogRecord Commit(string group, string topic, int partition, long offset) =>
        new OffsetLogRecord.Commit(group, new GroupTopicPartition(topic, partition), new CommittedOffset(offset, 2, "m", At));

    [Fact]
    public async Task Append_ThenReopen_RestoresLatestOffsetPerPartition()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await store.Append(Commit("g", "t", 0, 1), Commit("g", "t", 1, 2));
            await store.Append(Commit("g", "t", 0, 3));
            await store.Append(new OffsetLogRecord.Group("g", new StoredGroup("consumer", 4)));
        }

        await using var reopened = OffsetStore.Open(_directory);

        Assert.Equal(3, reopened.GetOffset("g", new("t", 0))!.Offset);
        Assert.Equal(new CommittedOffset(2, 2, "m", At), reopened.GetOffset("g", new("t", 1)));
        Assert.Equal(new StoredGroup("consumer", 4), reopened.GetGroup("g"));
    }

    [Fact]
    public async Task Open_TornLastRecord_IsTruncatedAndEarlierRecordsKept()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await store.Append(Commit("g", "t", 0, 1));
            await store.Append(Commit("g", "t", 0, 2));
        }

        var intact = new FileInfo(LogPath).Length;
        var frame = Commit("g", "t", 0, 3).ToFrame();
        await using (var file = new FileStream(LogPath, FileMode.Append))
        {
            file.Write(frame.AsSpan(0, frame.Length - 3)); // a crash in the middle of a write
        }

        await using (var reopened = OffsetStore.Open(_directory))
        {
            Assert.Equal(2, reopened.GetOffset("g", new("t", 0))!.Offset);
            Assert.Equal(intact, new FileInfo(LogPath).Length);
            await reopened.Append(Commit("g", "t", 0, 4));
        }

        await using var again = OffsetStore.Open(_directory);
        Assert.Equal(4, again.GetOffset("g", new("t", 0))!.Offset);
    }

    [Fact]
    public async Task Open_CorruptCrcInLastRecord_IsTruncated()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await store.Append(Commit("g", "t", 0, 1));
            await store.Append(Commit("g", "t", 0, 2));
        }

        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(LogPath, bytes);

        await using var reopened = OffsetStore.Open(_directory);
        Assert.Equal(1, reopened.GetOffset("g", new("t", 0))!.Offset);
    }

    [Fact]
    public async Task Append_MostlyDeadLog_IsCompactedWhileRunningWithSameState()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            var writes = new List<Task>();
            for (var i = 0; i < 3000; i++)
            {
                writes.Add(store.Append(Commit("g", "t", i % 3, i), new OffsetLogRecord.Commit("h", new("u", 0), new CommittedOffset(i, -1, "", At))));
            }

            await Task.WhenAll(writes);
            await store.Append(new OffsetLogRecord.GroupTombstone("h"));
            Assert.True(store.Log.Compactions > 0, "The store never compacted.");
            Assert.True(new FileInfo(LogPath).Length < 2 * StateLogOptions.DefaultCompactionMinBytes, $"{new FileInfo(LogPath).Length} bytes");
            Assert.Equal([2997L, 2998L, 2999L], store.GetOffsets("g").Select(o => o.Value.Offset));
        }

        await using (var reopened = OffsetStore.Open(_directory))
        {
            Assert.Equal([2997L, 2998L, 2999L], reopened.GetOffsets("g").Select(o => o.Value.Offset));
            Assert.Null(reopened.GetOffset("h", new("u", 0)));
            await reopened.Append(Commit("g", "t", 0, 5000));
        }

        await using var again = OffsetStore.Open(_directory);
        Assert.Equal(5000, again.GetOffset("g", new("t", 0))!.Offset);
        Assert.False(File.Exists(LogPath + ".compacting"));
    }

    [Fact]
    public async Task Append_GroupTombstone_RemovesOffsetsAndSurvivesReopen()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await store.Append(Commit("g", "t", 0, 1), new OffsetLogRecord.Group("g", new StoredGroup("consumer", 1)));
            await store.Append(new OffsetLogRecord.GroupTombstone("g"));
            Assert.False(store.HasOffsets("g"));
        }

        await using var reopened = OffsetStore.Open(_directory);
        Assert.Empty(reopened.GroupIds);
    }

    [Fact]
    public async Task Append_ConcurrentCallers_AllDurableInOrderOfCalls()
    {
        await using (var store = OffsetStore.Open(_directory))
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => store.Append(Commit("g", "t", 0, i))));
            Assert.Equal(199, store.GetOffset("g", new("t", 0))!.Offset);
        }

        await using var reopened = OffsetStore.Open(_directory);
        Assert.Equal(199, reopened.GetOffset("g", new("t", 0))!.Offset);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
