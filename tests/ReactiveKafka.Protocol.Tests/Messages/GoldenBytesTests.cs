using System.Text;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Messages;

/// <summary>Byte-exact encodings built by hand from Kafka's protocol description.</summary>
public sealed class GoldenBytesTests
{
    [Fact]
    public void ApiVersionsRequest_v3_as_librdkafka_sends_it()
    {
        const short version = 3;
        var header = new RequestHeader { RequestApiKey = (short)ApiKey.ApiVersions, RequestApiVersion = version, CorrelationId = 1, ClientId = "rdkafka" };
        var body = new ApiVersionsRequest { ClientSoftwareName = "confluent-kafka-dotnet", ClientSoftwareVersion = "2.16.0" };
        var headerVersion = ApiVersionHeaders.RequestHeaderVersion(ApiKey.ApiVersions, version);

        using var writer = new ProtocolWriter();
        header.Write(writer, headerVersion);
        body.Write(writer, version);

        var expected = new List<byte>
        {
            0x00, 0x12, // api key 18
            0x00, 0x03, // api version 3
            0x00, 0x00, 0x00, 0x01, // correlation id
            0x00, 0x07, // client id: a classic int16-length string even in header v2
        };
        expected.AddRange(Encoding.ASCII.GetBytes("rdkafka"));
        expected.Add(0x00); // header tagged fields: none
        expected.Add(22 + 1); // compact string: length + 1
        expected.AddRange(Encoding.ASCII.GetBytes("confluent-kafka-dotnet"));
        expected.Add(6 + 1);
        expected.AddRange(Encoding.ASCII.GetBytes("2.16.0"));
        expected.Add(0x00); // body tagged fields: none

        Assert.Equal(2, headerVersion);
        Assert.Equal(expected.ToArray(), writer.ToArray());

        var reader = new ProtocolReader(writer.ToArray());
        var readHeader = RequestHeader.Read(ref reader, headerVersion);
        var readBody = ApiVersionsRequest.Read(ref reader, version);
        Assert.True(reader.End);
        Assert.Equal("rdkafka", readHeader.ClientId);
        Assert.Equal("2.16.0", readBody.ClientSoftwareVersion);
    }

    [Fact]
    public void ResponseHeader_v0_is_just_the_correlation_id()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 42 }, MessageCatalog.Write(new ResponseHeader { CorrelationId = 42 }, 0));
        Assert.Equal(new byte[] { 0, 0, 0, 42, 0 }, MessageCatalog.Write(new ResponseHeader { CorrelationId = 42 }, 1));
    }

    [Fact]
    public void ProduceRequest_v3_with_null_records_and_transactional_id()
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 30000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = "t", PartitionData = [new ProduceRequest.PartitionProduceData { Index = 2 }] }],
        };

        byte[] expected =
        [
            0xFF, 0xFF, // TransactionalId: null
            0xFF, 0xFF, // Acks -1
            0x00, 0x00, 0x75, 0x30, // TimeoutMs 30000
            0x00, 0x00, 0x00, 0x01, // one topic
            0x00, 0x01, (byte)'t',
            0x00, 0x00, 0x00, 0x01, // one partition
            0x00, 0x00, 0x00, 0x02, // index 2
            0xFF, 0xFF, 0xFF, 0xFF, // records: null
        ];
        Assert.Equal(expected, MessageCatalog.Write(request, 3));
    }
}
