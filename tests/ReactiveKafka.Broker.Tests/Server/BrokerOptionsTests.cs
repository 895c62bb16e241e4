using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

public sealed class BrokerOptionsTests
{
    private static BrokerOptions Valid => new() { DataDirectory = Path.Combine(Path.GetTempPath(), "unused"), Listener = "127.0.0.1:0" };

    public static TheoryData<string, Func<BrokerOptions, BrokerOptions>> InvalidOptions => new()
    {
        { nameof(BrokerOptions.DataDirectory), o => o with { DataDirectory = " " } },
        { nameof(BrokerOptions.Listener), o => o with { Listener = "no-port" } },
        { nameof(BrokerOptions.Listener), o => o with { Listener = "127.0.0.1:70000" } },
        { nameof(BrokerOptions.AdvertisedListener), o => o with { AdvertisedListener = "host:0" } },
        { nameof(BrokerOptions.NodeId), o => o with { NodeId = -1 } },
        { nameof(BrokerOptions.DefaultPartitions), o => o with { DefaultPartitions = 0 } },
        { nameof(BrokerOptions.SegmentBytes), o => o with { SegmentBytes = 100 } },
        { nameof(BrokerOptions.SegmentAge), o => o with { SegmentAge = TimeSpan.Zero } },
        { nameof(BrokerOptions.Retention), o => o with { Retention = TimeSpan.FromSeconds(-1) } },
        { nameof(BrokerOptions.RetentionBytes), o => o with { RetentionBytes = 0 } },
        { nameof(BrokerOptions.FlushPolicy), o => o with { FlushPolicy = (BrokerFlushPolicy)42 } },
        { nameof(BrokerOptions.FlushInterval), o => o with { FlushInterval = TimeSpan.Zero } },
        { nameof(BrokerOptions.MaxRequestSize), o => o with { MaxRequestSize = 10 } },
        { nameof(BrokerOptions.MaxMessageBytes), o => o with { MaxMessageBytes = int.MaxValue } },
        { nameof(BrokerOptions.MaxConnections), o => o with { MaxConnections = 0 } },
        { nameof(BrokerOptions.MaxConnectionsPerIp), o => o with { MaxConnectionsPerIp = -1 } },
        { nameof(BrokerOptions.MaxConnectionsPerIp), o => o with { MaxConnectionsPerIp = 0 } },
        { nameof(BrokerOptions.MaxConnectionsPerIpOverrides), o => o with { MaxConnectionsPerIpOverrides = new Dictionary<string, int> { ["not-an-ip"] = 3 } } },
        { nameof(BrokerOptions.MaxConnectionsPerIpOverrides), o => o with { MaxConnectionsPerIpOverrides = new Dictionary<string, int> { ["127.0.0.1"] = -1 } } },
        { nameof(BrokerOptions.ConnectionsMaxIdle), o => o with { ConnectionsMaxIdle = TimeSpan.Zero } },
        { nameof(BrokerOptions.PartialRequestTimeout), o => o with { PartialRequestTimeout = TimeSpan.FromSeconds(-1) } },
        { nameof(BrokerOptions.GroupInitialRebalanceDelay), o => o with { GroupInitialRebalanceDelay = TimeSpan.FromSeconds(-1) } },
        { nameof(BrokerOptions.CleanerDedupeBufferSize), o => o with { CleanerDedupeBufferSize = 100 } },
        { nameof(BrokerOptions.CleanerIoMaxBytesPerSecond), o => o with { CleanerIoMaxBytesPerSecond = 0 } },
        { nameof(BrokerOptions.CleanerIoMaxBytesPerSecond), o => o with { CleanerIoMaxBytesPerSecond = double.NaN } },
        { nameof(BrokerOptions.CleanerBackoff), o => o with { CleanerBackoff = TimeSpan.Zero } },
        { nameof(BrokerOptions.ProducerIdExpiration), o => o with { ProducerIdExpiration = TimeSpan.Zero } },
        { nameof(BrokerOptions.TransactionMaxTimeout), o => o with { TransactionMaxTimeout = TimeSpan.Zero } },
        { nameof(BrokerOptions.TransactionMaxTimeout), o => o with { TransactionMaxTimeout = TimeSpan.FromDays(30) } },
        { nameof(BrokerOptions.TransactionAbortTimedOutInterval), o => o with { TransactionAbortTimedOutInterval = TimeSpan.Zero } },
        { nameof(BrokerOptions.TransactionalIdExpiration), o => o with { TransactionalIdExpiration = TimeSpan.FromSeconds(-1) } },
        { nameof(BrokerOptions.TransactionRemoveExpiredInterval), o => o with { TransactionRemoveExpiredInterval = TimeSpan.Zero } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task StartAsync_InvalidOption_FailsNamingTheOption(string option, Func<BrokerOptions, BrokerOptions> spoil)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => KafkaBroker.StartAsync(spoil(Valid), TestContext.Current.CancellationToken));

        Assert.Equal(option, error.ParamName);
        Assert.Contains($"BrokerOptions.{option}", error.Message);
    }

    [Fact]
    public void Defaults_Transactions_AreKafkas()
    {
        var options = new BrokerOptions();

        Assert.Equal(TimeSpan.FromMinutes(15), options.TransactionMaxTimeout);            // transaction.max.timeout.ms
        Assert.Equal(TimeSpan.FromSeconds(10), options.TransactionAbortTimedOutInterval); // transaction.abort.timed.out.transaction.cleanup.interval.ms
        Assert.Equal(TimeSpan.FromDays(7), options.TransactionalIdExpiration);            // transactional.id.expiration.ms
        Assert.Equal(TimeSpan.FromHours(1), options.TransactionRemoveExpiredInterval);    // transaction.remove.expired.transaction.cleanup.interval.ms
    }

    [Fact]
    public void Defaults_ConnectionLimits_AreKafkas()
    {
        var options = new BrokerOptions();

        Assert.Equal(TimeSpan.FromMinutes(10), options.ConnectionsMaxIdle); // connections.max.idle.ms
        Assert.Equal(int.MaxValue, options.MaxConnectionsPerIp);         // max.connections.per.ip
        Assert.Null(options.MaxConnectionsPerIpOverrides);
        Assert.Equal(TimeSpan.FromSeconds(60), options.PartialRequestTimeout);
        (Valid with { MaxConnectionsPerIp = 0, MaxConnectionsPerIpOverrides = new Dictionary<string, int> { ["::1"] = 2 } }).Validate();
    }

    [Fact]
    public async Task StartAsync_DataDirectoryOfAnotherCluster_FailsNamingClusterId()
    {
        var directory = Path.Combine(Path.GetTempPath(), "reactivekafka-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await (await KafkaBroker.StartAsync(Valid with { DataDirectory = directory }, TestContext.Current.CancellationToken)).DisposeAsync();

            var error = await Assert.ThrowsAsync<ArgumentException>(() =>
                KafkaBroker.StartAsync(Valid with { DataDirectory = directory, ClusterId = "another-cluster" }, TestContext.Current.CancellationToken));

            Assert.Equal(nameof(BrokerOptions.ClusterId), error.ParamName);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
