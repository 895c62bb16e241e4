using ReactiveKafka.Tests.Infrastructure;
using Xunit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// The transaction manager against librdkafka's mock cluster (an independent broker that serves transactions): the
/// <see cref="TransactionManagerScenarios"/> it supports. It neither hides aborted transactions from read_committed
/// consumers nor fences zombies, so those checks run on the test broker only (<see cref="KafkaTransactionManagerTests"/>).
/// </summary>
public sealed class KafkaTransactionManagerMockClusterTests(MockClusterFixture mock, ITestOutputHelper output)
    : TransactionManagerScenarios(output), IClassFixture<MockClusterFixture>
{
    protected override string BootstrapServers => mock.BootstrapServers;

    protected override bool HidesAbortedTransactions => false;

    // The mock cluster creates a topic (with 4 partitions) on its first produce.
    protected override Task<string> CreateTopicAsync() => Task.FromResult("tx-" + Guid.NewGuid().ToString("N"));
}
