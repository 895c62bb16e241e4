using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// A consumer group of two raw Confluent consumers across a restart of the standalone server (same port, same data
/// directory): a restart shorter than the session timeout, clean or kill -9, is invisible to the members (no revoke,
/// assign or lost callback, same member ids and assignments, commits succeed again); a longer one loses their session
/// as with Kafka, and the group settles on new members.
/// </summary>
public sealed class GroupRestartTests : IDisposable
{
    private const int Partitions = 4;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-group-restart-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => BrokerFixture.DeleteDirectory(_dataDirectory);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RestartWithinSessionTimeout_MembersKeepTheirAssignmentWithoutRebalance(bool kill)
    {
        var topic = "group-restart-" + (kill ? "kill" : "clean");
        var group = topic + "-group";
        var listen = $"127.0.0.1:{FreePort()}";
        var server = await ServerProcess.StartAsync(_dataDirectory, listen);
        await using var members = new Members();
        try
        {
            await CreateTopicAsync(server.BootstrapServers, topic);
            members.Start(server.BootstrapServers, topic, group, sessionTimeoutMs: 45_000);
            await WaitForAsync(() => members.All(m => m.Assigned.Count == 1) && members.Sum(m => m.Assignment.Count) == Partitions, "both members assigned", server);
            Produce(server.BootstrapServers, topic, "before");
            await WaitForAsync(() => members.Sum(m => m.Committed) >= Partitions, "commits before the restart", server);
            var memberIds = members.Select(m => m.MemberId).ToList();
            var assignments = members.Select(m => string.Join(',', m.Assignment.Order())).ToList();

            if (kill)
            {
                server.Kill();
            }
            else
            {
                Assert.Equal(0, server.Terminate());
            }

            server.Dispose();
            server = await ServerProcess.StartAsync(_dataDirectory, listen);
            var committedBefore = members.Select(m => m.Committed).ToList();
            Produce(server.BootstrapServers, topic, "after");

            await WaitForAsync(() => members.Select((m, i) => m.Committed > committedBefore[i]).All(c => c) && members.Sum(m => m.Received("after")) == Partitions, "commits after the restart", server);
            Assert.All(members, m => Assert.Equal((1, 0, 0), (m.Assigned.Count, m.Revoked, m.Lost)));
            Assert.Equal(memberIds, members.Select(m => m.MemberId));
            Assert.Equal(assignments, members.Select(m => string.Join(',', m.Assignment.Order())));
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = server.BootstrapServers }).Build();
            var described = (await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions.Single();
            Assert.Equal(ConsumerGroupState.Stable, described.State);
            Assert.Equal(memberIds.Order(), described.Members.Select(m => m.ConsumerId).Order());
            await members.CloseAsync();
        }
        finally
        {
            server.Dispose();
        }
    }

    [Fact]
    public async Task RestartLongerThanSessionTimeout_MembersExpireAndTheGroupRebalances()
    {
        const string topic = "group-restart-long";
        const string group = topic + "-group";
        var listen = $"127.0.0.1:{FreePort()}";
        var server = await ServerProcess.StartAsync(_dataDirectory, listen);
        await using var members = new Members();
        try
        {
            await CreateTopicAsync(server.BootstrapServers, topic);
            members.Start(server.BootstrapServers, topic, group, sessionTimeoutMs: 6_000);
            await WaitForAsync(() => members.All(m => m.Assigned.Count == 1) && members.Sum(m => m.Assignment.Count) == Partitions, "both members assigned", server);
            var memberIds = members.Select(m => m.MemberId).ToList();

            server.Kill();
            server.Dispose();

            // The clients' own session timeout passes without a coordinator: they drop their assignment (lost).
            await WaitForAsync(() => members.All(m => m.Lost > 0 || m.Revoked > 0), "the members' sessions to time out", null);
            server = await ServerProcess.StartAsync(_dataDirectory, listen);

            // They rejoin as new members; the reloaded old ones expire on the broker after a fresh session timeout.
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = server.BootstrapServers }).Build();
            await WaitForAsync(
                async () =>
                {
                    var described = (await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions.Single();
                    var current = members.Select(m => m.MemberId).Order().ToList();
                    return described.State == ConsumerGroupState.Stable
                        && described.Members.Select(m => m.ConsumerId).Order().SequenceEqual(current)
                        && members.All(m => m.Assigned.Count >= 2)
                        && members.Sum(m => m.Assignment.Count) == Partitions;
                },
                "the group to settle on the rejoined members",
                server);
            Assert.Empty(members.Select(m => m.MemberId).Intersect(memberIds));
            await members.CloseAsync();
        }
        finally
        {
            server.Dispose();
        }
    }

    private static async Task CreateTopicAsync(string bootstrap, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
    }

    private static void Produce(string bootstrap, string topic, string value)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        for (var p = 0; p < Partitions; p++)
        {
            producer.Produce(new TopicPartition(topic, p), new Message<Null, string> { Value = value });
        }

        Assert.Equal(0, producer.Flush(Timeout));
    }

    private static Task WaitForAsync(Func<bool> condition, string what, ServerProcess? server) =>
        WaitForAsync(() => Task.FromResult(condition()), what, server);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, ServerProcess? server)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (KafkaException) when (DateTime.UtcNow < deadline)
            {
                // The admin client may race the restarted coordinator: ask again.
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}. Output:\n{server?.Output}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Two consumers, each polled on its own thread, committing every record synchronously.</summary>
    private sealed class Members : List<Member>, IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _loops = [];

        public void Start(string bootstrap, string topic, string group, int sessionTimeoutMs)
        {
            for (var i = 0; i < 2; i++)
            {
                var member = new Member(bootstrap, topic, group, sessionTimeoutMs);
                Add(member);
                _loops.Add(Task.Factory.StartNew(() => member.Run(_stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
            }
        }

        /// <summary>Stops the loops and closes the consumers (leaving the group) while the broker is up.</summary>
        public async Task CloseAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops).WaitAsync(Timeout);
            foreach (var member in this)
            {
                member.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops).WaitAsync(Timeout);
            foreach (var member in this)
            {
                member.Dispose();
            }

            _stop.Dispose();
        }
    }

    private sealed class Member : IDisposable
    {
        private readonly IConsumer<Null, string> _consumer;
        private readonly ConcurrentDictionary<string, int> _received = new();
        private int _revoked;
        private int _lost;
        private int _committed;
        private volatile bool _closed;

        public Member(string bootstrap, string topic, string group, int sessionTimeoutMs)
        {
            _consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = group,
                EnableAutoCommit = false,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                SessionTimeoutMs = sessionTimeoutMs,
                HeartbeatIntervalMs = 500,
                ReconnectBackoffMs = 50,
                ReconnectBackoffMaxMs = 200,
            })
                .SetPartitionsAssignedHandler((_, partitions) =>
                {
                    Assigned.Enqueue(partitions.Count);
                    Assignment = [.. partitions.Select(p => p.Partition.Value)];
                })
                .SetPartitionsRevokedHandler((_, _) =>
                {
                    Interlocked.Increment(ref _revoked);
                    Assignment = [];
                })
                .SetPartitionsLostHandler((_, _) =>
                {
                    Interlocked.Increment(ref _lost);
                    Assignment = [];
                })
                .Build();
            _consumer.Subscribe(topic);
        }

        public ConcurrentQueue<int> Assigned { get; } = new();

        public IReadOnlyList<int> Assignment { get; private set; } = [];

        public int Revoked => Volatile.Read(ref _revoked);

        public int Lost => Volatile.Read(ref _lost);

        public int Committed => Volatile.Read(ref _committed);

        public string MemberId { get; private set; } = "";

        public int Received(string value) => _received.GetValueOrDefault(value);

        public void Run(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    MemberId = _consumer.MemberId;
                    var result = _consumer.Consume(100);
                    if (result is null)
                    {
                        continue;
                    }

                    _received.AddOrUpdate(result.Message.Value, 1, (_, n) => n + 1);
                    CommitUntilAccepted(result, stop);
                }
                catch (KafkaException)
                {
                    // The broker is restarting: the consumer reconnects on its own.
                }
            }
        }

        public void Close()
        {
            _closed = true;
            _consumer.Close();
        }

        public void Dispose()
        {
            if (!_closed)
            {
                _consumer.Close();
            }

            _consumer.Dispose();
        }

        /// <summary>Commits the record, retrying while the coordinator is down, until accepted or the member loses the partition.</summary>
        private void CommitUntilAccepted(ConsumeResult<Null, string> result, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    _consumer.Commit(result);
                    Interlocked.Increment(ref _committed);
                    return;
                }
                catch (KafkaException) when (Assignment.Contains(result.Partition.Value))
                {
                    stop.WaitHandle.WaitOne(50);
                }
            }
        }
    }
}
