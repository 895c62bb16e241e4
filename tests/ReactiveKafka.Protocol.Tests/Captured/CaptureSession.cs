using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Broker;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Captured;

/// <summary>One record a captured producer sent.</summary>
public sealed record SentRecord(byte[]? Key, byte[] Value, IReadOnlyList<(string Key, byte[]? Value)> Headers);

/// <summary>
/// Runs the real Confluent client (librdkafka) against the bundled broker through a
/// <see cref="RecordingProxy"/>: a producer per compression codec, then a group consumer. The broker
/// advertises the proxy's address so every connection, not just bootstrap, goes through the proxy.
/// </summary>
public sealed class CaptureSession : IAsyncLifetime
{
    public static readonly (string Name, CompressionType Type)[] Codecs =
    [
        ("none", CompressionType.None),
        ("gzip", CompressionType.Gzip),
        ("snappy", CompressionType.Snappy),
        ("lz4", CompressionType.Lz4),
        ("zstd", CompressionType.Zstd),
    ];

    public const string ConsumedTopic = "captured-lz4";
    public const string GroupId = "captured-group";
    public const int RecordsPerTopic = 5;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "rk-capture-" + Guid.NewGuid().ToString("N"));

    public static string TopicFor(string codec) => "captured-" + codec;

    public Dictionary<string, List<SentRecord>> Sent { get; } = [];

    public List<CapturedRequest> Requests { get; } = [];

    public int Consumed { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await using var proxy = new RecordingProxy();
        var advertised = $"127.0.0.1:{proxy.EndPoint.Port}";
        await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions
        {
            DataDirectory = _directory,
            Listener = "127.0.0.1:0",
            AdvertisedListener = advertised,
        }))
        {
            proxy.Start(broker.ListenEndPoint);

            foreach (var (name, type) in Codecs)
            {
                await ProduceAsync(advertised, name, type);
            }

            Consume(advertised);
        }

        foreach (var frame in proxy.Frames)
        {
            Requests.Add(CapturedRequest.Decode(frame));
        }

        var fixtures = Environment.GetEnvironmentVariable("CAPTURE_FIXTURES_DIR");
        if (!string.IsNullOrEmpty(fixtures))
        {
            WriteFixtures(fixtures);
        }
    }

    /// <summary>The records produced to <see cref="TopicFor"/>(<paramref name="codec"/>): keys, a null key, headers.</summary>
    public static List<SentRecord> RecordsFor(string codec)
    {
        var records = new List<SentRecord>();
        for (var i = 0; i < RecordsPerTopic; i++)
        {
            var key = i == 2 ? null : Encoding.UTF8.GetBytes($"key-{i}");
            var value = Encoding.UTF8.GetBytes($"value-{i}-{codec}-" + new string('x', 40 + i));
            List<(string, byte[]?)> headers = i switch
            {
                0 => [],
                1 => [("trace", Encoding.UTF8.GetBytes("abc")), ("empty", [])],
                3 => [("nullvalue", null), ("dup", [1]), ("dup", [2])],
                _ => [("n", [(byte)i])],
            };
            records.Add(new SentRecord(key, value, headers));
        }

        return records;
    }

    private async Task ProduceAsync(string bootstrap, string codec, CompressionType type)
    {
        var topic = TopicFor(codec);
        var records = RecordsFor(codec);
        Sent[topic] = records;
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            CompressionType = type,
            LingerMs = 20,
            Acks = Acks.All,
            ClientId = "capture-producer-" + codec,
        };
        using var producer = new ProducerBuilder<byte[]?, byte[]>(config).Build();
        var deliveries = records.Select(record =>
        {
            var headers = new Headers();
            foreach (var (key, value) in record.Headers)
            {
                headers.Add(key, value);
            }

            return producer.ProduceAsync(topic, new Message<byte[]?, byte[]> { Key = record.Key, Value = record.Value, Headers = headers });
        }).ToList();
        var results = await Task.WhenAll(deliveries).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, result => Assert.Equal(PersistenceStatus.Persisted, result.Status));
        producer.Flush(TimeSpan.FromSeconds(10));
    }

    private void Consume(string bootstrap)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = GroupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            ClientId = "capture-consumer",
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).Build();
        consumer.Subscribe(ConsumedTopic);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Consumed < RecordsPerTopic && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result is { IsPartitionEOF: false, Message: not null })
            {
                Consumed++;
                consumer.Commit(result);
            }
        }

        // Let the consumer send the next fetch (from the end offset) before closing.
        consumer.Consume(TimeSpan.FromMilliseconds(300));
        consumer.Close();
    }

    private void WriteFixtures(string directory)
    {
        Directory.CreateDirectory(directory);
        void Write(string name, CapturedRequest? request, string comment)
        {
            if (request is not null)
            {
                File.WriteAllText(Path.Combine(directory, name), CapturedRequest.ToHex(request.Frame, $"{comment}: {request.ApiKey} v{request.ApiVersion}, header v{request.HeaderVersion}, captured from Confluent.Kafka 2.16.0 (librdkafka); request frame without its size prefix"));
            }
        }

        Write("apiversions-v3.hex", Requests.FirstOrDefault(r => r.ApiKey == ApiKey.ApiVersions && r.ApiVersion == 3), "ApiVersions");
        Write("metadata.hex", Requests.FirstOrDefault(r => r.ApiKey == ApiKey.Metadata && r.BodyAs<global::ReactiveKafka.Protocol.Messages.MetadataRequest>().Topics is { Count: > 0 } topics && topics.Any(t => t.Name == TopicFor("lz4"))), "Metadata for captured-lz4");
        Write("produce-lz4.hex", Requests.FirstOrDefault(r => r.ApiKey == ApiKey.Produce && r.BodyAs<global::ReactiveKafka.Protocol.Messages.ProduceRequest>().TopicData.Any(t => t.Name == TopicFor("lz4"))), "Produce of captured-lz4, lz4 compressed");
        Write("fetch.hex", Requests.FirstOrDefault(r => r.ApiKey == ApiKey.Fetch && r.BodyAs<global::ReactiveKafka.Protocol.Messages.FetchRequest>().Topics.Any(t => t.Partitions.Count > 0)), "Fetch of captured-lz4 from offset 0");
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
