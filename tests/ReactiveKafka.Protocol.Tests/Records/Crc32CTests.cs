using System.Text;
using ReactiveKafka.Protocol.Records;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Records;

public sealed class Crc32CTests
{
    [Fact]
    public void KnownVector_123456789() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void KnownVector_32Zeros() =>
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));

    [Fact]
    public void KnownVector_32Ones() =>
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));

    [Fact]
    public void Empty_IsZero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void MatchesBitwiseReference_ForRandomLengths()
    {
        var random = new Random(12345);
        for (var length = 0; length <= 1000; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(Reference(data), Crc32C.Compute(data));
        }
    }

    [Fact]
    public void Append_InPieces_EqualsWhole()
    {
        var random = new Random(7);
        var data = new byte[777];
        random.NextBytes(data);
        for (var split = 0; split <= data.Length; split += 37)
        {
            var crc = Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split));
            Assert.Equal(Crc32C.Compute(data), crc);
        }
    }

    /// <summary>The textbook bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78).</summary>
    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
