using ReactiveKafka.Tests.Infrastructure;
using Xunit;

namespace ReactiveKafka.Tests.Transactions;

/// <summary>
/// Exactly-once consume-transform-produce against librdkafka's mock cluster (an independent broker that serves
/// transactions): the <see cref="ExactlyOnceScenarios"/> it supports. It neither hides aborted transactions from
/// read_committed consumers nor stores offsets committed in transactions (measured: every partition stayed at -1001, so
/// members joining would start over), so the group tests run on the test broker only (<see cref="ExactlyOnceTests"/>).
/// </summary>
public sealed class ExactlyOnceMockClusterTests(MockClusterFixture mock, ITestOutputHelper output)
    : ExactlyOnceScenarios(output), IClassFixture<MockClusterFixture>
{
    protected override string BootstrapServers => mock.BootstrapServers;

    protected override bool HidesAbortedTransactions => false;

    // The mock cluster creates a topic (with 4 partitions) on its first produce.
    protected override Task<string> CreateTopicAsync() => Task.FromResult("eos-" + Guid.NewGuid().ToString("N"));
}
