using System.Text;
using ReactiveKafka.Protocol.Messages;
using ReactiveKafka.Protocol.Records;
using Xunit;
using KafkaRecord = ReactiveKafka.Protocol.Records.Record;
using ProtocolCompression = ReactiveKafka.Protocol.Records.CompressionType;

namespace ReactiveKafka.Protocol.Tests.Captured;

/// <summary>
/// Requests captured from the real Confluent client (librdkafka) talking to the bundled broker, decoded
/// with the generated codecs and the record batch reader.
/// </summary>
public sealed class CapturedRequestTests(CaptureSession session) : IClassFixture<CaptureSession>
{
    [Fact]
    public void Every_captured_request_decodes_completely()
    {
        // CaptureSession decodes every frame with CapturedRequest.Decode, which asserts all bytes are consumed.
        Assert.NotEmpty(session.Requests);
        var keys = session.Requests.Select(r => r.ApiKey).ToHashSet();
        Assert.Contains(ApiKey.ApiVersions, keys);
        Assert.Contains(ApiKey.Metadata, keys);
        Assert.Contains(ApiKey.Produce, keys);
        Assert.Contains(ApiKey.Fetch, keys);
        Assert.Contains(ApiKey.FindCoordinator, keys);
        Assert.Contains(ApiKey.JoinGroup, keys);
        Assert.Contains(ApiKey.OffsetCommit, keys);
        Assert.All(session.Requests, r => Assert.False(string.IsNullOrEmpty(r.Header.ClientId)));
    }

    [Fact]
    public void ApiVersions_v3_names_the_client_software()
    {
        var requests = session.Requests.Where(r => r.ApiKey == ApiKey.ApiVersions).ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, r =>
        {
            Assert.Equal(3, r.ApiVersion);
            Assert.Equal(2, r.HeaderVersion);
            var body = r.BodyAs<ApiVersionsRequest>();
            Assert.Equal("confluent-kafka-dotnet", body.ClientSoftwareName);
            Assert.False(string.IsNullOrEmpty(body.ClientSoftwareVersion));
        });
    }

    [Fact]
    public void Metadata_asks_for_each_produced_topic()
    {
        var named = session.Requests
            .Where(r => r.ApiKey == ApiKey.Metadata)
            .SelectMany(r => r.BodyAs<MetadataRequest>().Topics ?? [])
            .Select(t => t.Name)
            .ToHashSet();
        foreach (var (codec, _) in CaptureSession.Codecs)
        {
            Assert.Contains(CaptureSession.TopicFor(codec), named);
        }
    }

    [Fact]
    public void Produce_requests_carry_valid_batches_with_the_sent_records()
    {
        foreach (var (codec, _) in CaptureSession.Codecs)
        {
            var topic = CaptureSession.TopicFor(codec);
            var expectedCompression = Enum.Parse<ProtocolCompression>(codec, ignoreCase: true);
            var produces = session.Requests
                .Where(r => r.ApiKey == ApiKey.Produce)
                .Select(r => r.BodyAs<ProduceRequest>())
                .Where(p => p.TopicData.Any(t => t.Name == topic))
                .ToList();
            Assert.NotEmpty(produces);

            var records = new List<KafkaRecord>();
            foreach (var produce in produces)
            {
                Assert.Equal(-1, produce.Acks);
                Assert.Null(produce.TransactionalId);
                Assert.True(produce.TimeoutMs > 0);
                var partition = Assert.Single(Assert.Single(produce.TopicData, t => t.Name == topic).PartitionData);
                Assert.Equal(0, partition.Index);
                Assert.NotNull(partition.Records);

                var bytes = partition.Records!.Value;
                var position = 0;
                while (position < bytes.Length)
                {
                    var error = RecordBatchHeader.Validate(bytes.Span[position..], out var header);
                    Assert.Null(error);
                    Assert.Equal(expectedCompression, header.Compression);
                    position += header.TotalSize;
                }

                Assert.Equal(bytes.Length, position);
                var batches = RecordBatchReader.ReadAll(bytes);
                Assert.All(batches, b => Assert.Equal(expectedCompression, b.Compression));
                records.AddRange(batches.SelectMany(b => b.Records));
            }

            AssertRecordsEqual(session.Sent[topic], records);
        }
    }

    [Fact]
    public void Fetch_requests_read_the_consumed_partition_from_the_start()
    {
        var fetches = session.Requests.Where(r => r.ApiKey == ApiKey.Fetch).ToList();
        Assert.NotEmpty(fetches);
        var partitions = fetches
            .Select(r => r.BodyAs<FetchRequest>())
            .SelectMany(f => f.Topics)
            .Where(t => t.Topic == CaptureSession.ConsumedTopic || t.TopicId != Guid.Empty)
            .SelectMany(t => t.Partitions)
            .ToList();
        Assert.NotEmpty(partitions);
        Assert.All(partitions, p => Assert.Equal(0, p.Partition));
        Assert.Contains(partitions, p => p.FetchOffset == 0);
        Assert.All(fetches, f =>
        {
            var body = f.BodyAs<FetchRequest>();
            Assert.Equal(-1, body.ReplicaId);
            Assert.True(body.MaxWaitMs > 0);
        });
        Assert.Equal(CaptureSession.RecordsPerTopic, session.Consumed);
    }

    [Fact]
    public void OffsetCommit_commits_the_consumed_offsets_for_the_group()
    {
        var commits = session.Requests
            .Where(r => r.ApiKey == ApiKey.OffsetCommit)
            .Select(r => r.BodyAs<OffsetCommitRequest>())
            .ToList();
        Assert.NotEmpty(commits);
        Assert.All(commits, c => Assert.Equal(CaptureSession.GroupId, c.GroupId));
        var offsets = commits.SelectMany(c => c.Topics).Where(t => t.Name == CaptureSession.ConsumedTopic)
            .SelectMany(t => t.Partitions).Select(p => p.CommittedOffset).ToList();
        Assert.Contains((long)CaptureSession.RecordsPerTopic, offsets);
    }

    internal static void AssertRecordsEqual(IReadOnlyList<SentRecord> sent, IReadOnlyList<KafkaRecord> actual)
    {
        Assert.Equal(sent.Count, actual.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            var expected = sent[i];
            var record = actual[i];
            Assert.Equal(expected.Key, record.Key?.ToArray());
            Assert.Equal(expected.Value, record.Value?.ToArray());
            Assert.Equal(expected.Headers.Count, record.Headers.Count);
            for (var h = 0; h < expected.Headers.Count; h++)
            {
                Assert.Equal(expected.Headers[h].Key, record.Headers[h].Key);
                Assert.Equal(expected.Headers[h].Value, record.Headers[h].Value?.ToArray());
            }
        }
    }
}
