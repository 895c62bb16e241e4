using System.Text;
using ReactiveKafka.Broker.Storage.Cleaning;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Storage.Cleaning;

public sealed class OffsetMapTests
{
    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"key-{i}");

    [Fact]
    public void TryPut_ThenGet_ReturnsTheLatestOffsetPerKey()
    {
        var map = new OffsetMap(1024 * 1024);
        for (var offset = 0; offset < 10_000; offset++)
        {
            Assert.True(map.TryPut(Key(offset % 1000), offset));
        }

        Assert.Equal(1000, map.Count);
        Assert.Equal(9_999, map.LatestOffset);
        for (var k = 0; k < 1000; k++)
        {
            Assert.Equal(9_000 + k, map.Get(Key(k)));
        }

        Assert.Equal(-1, map.Get(Key(1000)));
        Assert.Equal(-1, map.Get([]));
    }

    [Fact]
    public void EmptyKey_IsAKeyOfItsOwn()
    {
        var map = new OffsetMap(4096);
        Assert.True(map.TryPut([], 7));
        Assert.Equal(7, map.Get([]));
        Assert.Equal(-1, map.Get([0]));
    }

    [Fact]
    public void Full_RefusesNewKeys_AcceptsUpdatesOfKnownOnes()
    {
        var map = new OffsetMap(100 * OffsetMap.BytesPerSlot, loadFactor: 0.5);
        Assert.Equal((100, 50), (map.Slots, map.Capacity));
        for (var i = 0; i < 50; i++)
        {
            Assert.True(map.TryPut(Key(i), i));
        }

        Assert.False(map.TryPut(Key(50), 50));
        Assert.Equal(49, map.LatestOffset);
        Assert.Equal(-1, map.Get(Key(50)));
        Assert.True(map.TryPut(Key(3), 51));
        Assert.Equal((51, 51L), ((int)map.Get(Key(3)), map.LatestOffset));
    }

    [Fact]
    public void Capacity_NeverFillsEverySlot_SoLookupsEnd()
    {
        var map = new OffsetMap(2 * OffsetMap.BytesPerSlot, loadFactor: 1);
        Assert.Equal(1, map.Capacity);
        Assert.True(map.TryPut(Key(1), 1));
        Assert.False(map.TryPut(Key(2), 2));
        Assert.Equal(-1, map.Get(Key(2)));
    }

    [Fact]
    public void Memory_IsBoundedByTheRequestedSize()
    {
        var map = new OffsetMap(1_000_000);
        Assert.True(map.MemoryBytes <= 1_000_000);
        Assert.Equal(1_000_000 / OffsetMap.BytesPerSlot, map.Slots);
        Assert.Equal((int)(map.Slots * OffsetMap.DefaultLoadFactor), map.Capacity);
    }

    [Fact]
    public void AtFullLoad_EveryKeyIsFound()
    {
        var map = new OffsetMap(10_007 * OffsetMap.BytesPerSlot);
        for (var i = 0; i < map.Capacity; i++)
        {
            Assert.True(map.TryPut(Key(i), i));
        }

        for (var i = 0; i < map.Capacity; i++)
        {
            Assert.Equal(i, map.Get(Key(i)));
        }
    }
}
