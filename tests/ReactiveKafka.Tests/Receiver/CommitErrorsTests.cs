using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

public sealed class CommitErrorsTests
{
    [Theory]
    [InlineData(ErrorCode.IllegalGeneration)]
    [InlineData(ErrorCode.RebalanceInProgress)]
    public void IsRetriable_ACommitThatMetARebalance_IsRetriedAsARebalance(ErrorCode code)
    {
        Assert.True(CommitErrors.IsRetriable(new Error(code)));
        Assert.True(CommitErrors.IsRebalance(new Error(code)));
    }

    [Theory]
    [InlineData(ErrorCode.GroupAuthorizationFailed)]
    [InlineData(ErrorCode.OffsetMetadataTooLarge)]
    public void IsRetriable_AnErrorThatRetriesCannotFix_IsNot(ErrorCode code)
    {
        Assert.False(CommitErrors.IsRetriable(new Error(code)));
        Assert.False(CommitErrors.IsRebalance(new Error(code)));
    }

    [Fact]
    public void IsRebalance_FatalError_IsNot() => Assert.False(CommitErrors.IsRebalance(new Error(ErrorCode.IllegalGeneration, "fenced", isFatal: true)));
}
