using ReactiveKafka.Protocol.Messages;
using ReactiveKafka.Protocol.Records;
using Xunit;
using ProtocolCompression = ReactiveKafka.Protocol.Records.CompressionType;

namespace ReactiveKafka.Protocol.Tests.Captured;

/// <summary>
/// Request frames captured once from Confluent.Kafka 2.16.0 (librdkafka) and committed as hex
/// (<c>Captured/Fixtures</c>); decoded without a broker, so these run even where capturing cannot.
/// Regenerate with <c>CAPTURE_FIXTURES_DIR=dir</c> set while running <see cref="CapturedRequestTests"/>.
/// </summary>
public sealed class GoldenFixtureTests
{
    private static CapturedRequest Load(string name) =>
        CapturedRequest.Decode(CapturedRequest.FromHex(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Captured", "Fixtures", name))));

    [Fact]
    public void ApiVersions_v3()
    {
        var request = Load("apiversions-v3.hex");
        Assert.Equal(ApiKey.ApiVersions, request.ApiKey);
        Assert.Equal(3, request.ApiVersion);
        Assert.Equal(2, request.HeaderVersion);
        Assert.Equal(1, request.Header.CorrelationId);
        Assert.Equal("capture-producer-none", request.Header.ClientId);
        var body = request.BodyAs<ApiVersionsRequest>();
        Assert.Equal("confluent-kafka-dotnet", body.ClientSoftwareName);
        Assert.Equal("2.16.0", body.ClientSoftwareVersion);
    }

    [Fact]
    public void Metadata_for_one_topic()
    {
        var request = Load("metadata.hex");
        Assert.Equal(ApiKey.Metadata, request.ApiKey);
        Assert.Equal(12, request.ApiVersion);
        Assert.Equal("capture-producer-lz4", request.Header.ClientId);
        var body = request.BodyAs<MetadataRequest>();
        var topic = Assert.Single(body.Topics!);
        Assert.Equal("captured-lz4", topic.Name);
        Assert.Equal(Guid.Empty, topic.TopicId);
    }

    [Fact]
    public void Produce_lz4()
    {
        var request = Load("produce-lz4.hex");
        Assert.Equal(ApiKey.Produce, request.ApiKey);
        Assert.Equal(10, request.ApiVersion);
        var body = request.BodyAs<ProduceRequest>();
        Assert.Equal(-1, body.Acks);
        Assert.Equal(30000, body.TimeoutMs);
        Assert.Null(body.TransactionalId);
        var topic = Assert.Single(body.TopicData);
        Assert.Equal("captured-lz4", topic.Name);
        var partition = Assert.Single(topic.PartitionData);
        Assert.Equal(0, partition.Index);

        var records = partition.Records!.Value;
        Assert.Null(RecordBatchHeader.Validate(records.Span, out var header));
        Assert.Equal(ProtocolCompression.Lz4, header.Compression);
        Assert.Equal(records.Length, header.TotalSize);
        Assert.Equal(-1, header.ProducerId);

        var batch = Assert.Single(RecordBatchReader.ReadAll(records));
        CapturedRequestTests.AssertRecordsEqual(CaptureSession.RecordsFor("lz4"), batch.Records.ToList());
    }

    [Fact]
    public void Produce_lz4_with_a_flipped_byte_fails_the_crc()
    {
        var request = Load("produce-lz4.hex");
        var records = request.BodyAs<ProduceRequest>().TopicData[0].PartitionData[0].Records!.Value.ToArray();
        records[^1] ^= 0x01;
        Assert.NotNull(RecordBatchHeader.Validate(records, out _));
    }

    [Fact]
    public void Fetch_from_offset_zero()
    {
        var request = Load("fetch.hex");
        Assert.Equal(ApiKey.Fetch, request.ApiKey);
        Assert.Equal(12, request.ApiVersion);
        Assert.Equal("capture-consumer", request.Header.ClientId);
        var body = request.BodyAs<FetchRequest>();
        Assert.Equal(-1, body.ReplicaId);
        Assert.Equal(500, body.MaxWaitMs);
        Assert.Equal(1, body.MinBytes);
        Assert.Equal(1, body.IsolationLevel); // librdkafka defaults to read_committed
        var topic = Assert.Single(body.Topics);
        Assert.Equal("captured-lz4", topic.Topic);
        var partition = Assert.Single(topic.Partitions);
        Assert.Equal(0, partition.Partition);
        Assert.Equal(0, partition.FetchOffset);
        Assert.Empty(body.ForgottenTopicsData);
    }
}
