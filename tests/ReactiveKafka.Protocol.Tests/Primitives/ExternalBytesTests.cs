using System.Buffers;
using System.IO.Pipelines;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Primitives;

/// <summary>
/// A writer that defers <see cref="ExternalBytes"/> must produce, once the deferred bytes are put in their places,
/// exactly the bytes a plain writer produces, in every Fetch response version and in both the compact and the
/// classic bytes encodings.
/// </summary>
public sealed class ExternalBytesTests
{
    public static TheoryData<short> FetchVersions() => new(Enumerable.Range(4, 9).Select(v => (short)v));

    [Theory]
    [MemberData(nameof(FetchVersions))]
    public void DeferredFetchRecords_StitchedBack_EqualThePlainEncoding(short version)
    {
        var first = new ArrayBytes(Filled(70_000, 1));
        var second = new ArrayBytes(Filled(300, 2));
        var response = Response(first, second);

        using var deferring = new ProtocolWriter { DeferExternalBytes = true };
        response.Write(deferring, version);
        Assert.Equal(0, first.Loads); // Deferred bytes are never loaded by the writer.
        using var plain = new ProtocolWriter();
        response.Write(plain, version);

        Assert.Equal(2, deferring.ExternalSegments.Count);
        Assert.Equal(70_300, deferring.ExternalLength);
        Assert.Equal(plain.Length, deferring.Length + deferring.ExternalLength);
        Assert.Equal(plain.WrittenSpan.ToArray(), Stitch(deferring));

        var reader = new ProtocolReader(plain.WrittenMemory);
        var decoded = FetchResponse.Read(ref reader, version);
        Assert.Equal(first.Bytes, decoded.Responses[0].Partitions[0].Records!.Value.ToArray());
    }

    [Fact]
    public void PlainWriter_LoadsExternalBytes_AndReset_ForgetsDeferredSegments()
    {
        var bytes = new ArrayBytes(Filled(10, 3));
        using var plain = new ProtocolWriter();
        plain.WriteBytes(bytes.Memory, compact: true);
        Assert.Equal(1, bytes.Loads);
        Assert.Empty(plain.ExternalSegments);

        using var deferring = new ProtocolWriter { DeferExternalBytes = true };
        deferring.WriteBytes(bytes.Memory, compact: false);
        Assert.Single(deferring.ExternalSegments);
        deferring.Reset();
        Assert.Empty(deferring.ExternalSegments);
        Assert.Equal(0, deferring.ExternalLength);
        Assert.Equal(0, deferring.Length);
    }

    [Fact]
    public void Slice_OfExternalBytes_IsCopiedNotDeferred()
    {
        var bytes = new ArrayBytes(Filled(10, 4));
        using var deferring = new ProtocolWriter { DeferExternalBytes = true };
        deferring.WriteBytes(bytes.Memory[2..], compact: true);

        Assert.Empty(deferring.ExternalSegments);
        Assert.Equal(1 + 8, deferring.Length);
    }

    private static FetchResponse Response(ExternalBytes first, ExternalBytes second) => new()
    {
        Responses =
        [
            new FetchResponse.FetchableTopicResponse
            {
                Topic = "t",
                Partitions =
                [
                    new FetchResponse.PartitionData { PartitionIndex = 0, Records = first.Memory, AbortedTransactions = null },
                    new FetchResponse.PartitionData { PartitionIndex = 1, Records = second.Memory, AbortedTransactions = null },
                ],
            },
        ],
    };

    private static byte[] Stitch(ProtocolWriter writer)
    {
        var output = new List<byte>();
        var written = 0;
        foreach (var segment in writer.ExternalSegments)
        {
            output.AddRange(writer.WrittenSpan[written..segment.Position].ToArray());
            output.AddRange(((ArrayBytes)segment.Bytes).Bytes);
            written = segment.Position;
        }

        output.AddRange(writer.WrittenSpan[written..].ToArray());
        return [.. output];
    }

    private static byte[] Filled(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();

    private sealed class ArrayBytes(byte[] bytes) : ExternalBytes
    {
        public byte[] Bytes => bytes;

        public int Loads { get; private set; }

        public override int Length => bytes.Length;

        public override async ValueTask<bool> CopyToAsync(PipeWriter destination, CancellationToken cancellationToken)
        {
            destination.Write(bytes);
            return !(await destination.FlushAsync(cancellationToken)).IsCompleted;
        }

        protected override void Load(Span<byte> destination)
        {
            Loads++;
            bytes.CopyTo(destination);
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
