using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Messages;

/// <summary>Hostile and truncated bytes must fail as <see cref="ProtocolException"/>, and never allocate by a claimed size.</summary>
public sealed class MalformedInputTests
{
    public static TheoryData<string, short> Cases => MessageCatalog.AllVersions();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_truncation_throws_ProtocolException(string messageName, short version)
    {
        var type = MessageCatalog.Find(messageName);
        var message = (IKafkaMessage)Activator.CreateInstance(type)!;
        new MessageFiller(RoundTripTests.StableSeed(messageName, version, 99)).Fill(message, version);
        var bytes = MessageCatalog.Write(message, version);

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsMemory(0, length);
            var exception = Record.Exception(() => MessageCatalog.Read(type, prefix, version));
            Assert.True(exception is ProtocolException, $"Prefix of {length}/{bytes.Length} bytes gave {exception?.GetType().Name ?? "no exception"}.");
        }
    }

    [Theory]
    [InlineData((short)0)]
    [InlineData((short)9)]
    [InlineData((short)12)]
    public void A_hostile_array_length_throws_without_allocating(short version)
    {
        // MetadataRequest starts with its Topics array: an int32 count, or a compact (uvarint) one from v9.
        using var writer = new ProtocolWriter();
        if (MetadataRequest.IsFlexible(version))
        {
            writer.WriteUnsignedVarint(0x80000000u); // compact: 0x7fffffff elements
        }
        else
        {
            writer.WriteInt32(0x7fffffff);
        }

        writer.WriteRaw(new byte[64]);
        var bytes = writer.ToArray();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var exception = Record.Exception(() =>
        {
            var reader = new ProtocolReader(bytes);
            MetadataRequest.Read(ref reader, version);
        });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.IsType<ProtocolException>(exception);
        Assert.True(allocated < 64 * 1024, $"Reading allocated {allocated} bytes.");
    }

    [Fact]
    public void A_hostile_nested_array_length_throws()
    {
        // ProduceRequest v3: TransactionalId (null), Acks, TimeoutMs, one topic named "t" whose
        // partition array claims 0x7fffffff elements.
        using var writer = new ProtocolWriter();
        writer.WriteString(null, compact: false);
        writer.WriteInt16(-1);
        writer.WriteInt32(1000);
        writer.WriteArrayLength(1, compact: false);
        writer.WriteString("t", compact: false);
        writer.WriteInt32(0x7fffffff);
        var bytes = writer.ToArray();

        Assert.Throws<ProtocolException>(() =>
        {
            var reader = new ProtocolReader(bytes);
            ProduceRequest.Read(ref reader, 3);
        });
    }

    [Fact]
    public void A_version_outside_the_spec_is_rejected()
    {
        var bytes = new byte[16];
        Assert.Throws<ProtocolException>(() =>
        {
            var reader = new ProtocolReader(bytes);
            ApiVersionsRequest.Read(ref reader, (short)(ApiVersionsRequest.HighestSupportedVersion + 1));
        });
        using var writer = new ProtocolWriter();
        Assert.Throws<ArgumentOutOfRangeException>(() => new ApiVersionsRequest().Write(writer, -1));
    }

    [Fact]
    public void Null_in_a_non_nullable_array_is_rejected()
    {
        // ProduceRequest v0 TopicData is never nullable: a -1 count is malformed.
        using var writer = new ProtocolWriter();
        writer.WriteInt16(1);
        writer.WriteInt32(1000);
        writer.WriteInt32(-1);
        var bytes = writer.ToArray();

        Assert.Throws<ProtocolException>(() =>
        {
            var reader = new ProtocolReader(bytes);
            ProduceRequest.Read(ref reader, 0);
        });
    }
}
