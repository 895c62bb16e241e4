using Confluent.Kafka;
using ReactiveKafka.Receiver.Internal;
using Xunit;

namespace ReactiveKafka.Tests.Receiver;

public sealed class CommitErrorsTests
{
    [Theory]
    [InlineData(ErrorCode.IllegalGeneration)]
    [InlineData(ErrorCode.RebalanceInProgress)]
    [InlineData(ErrorCode.UnknownMemberId)]
    public void IsRebalance_TheMemberLostOrIsLosingItsPartitions_IsARebalanceNotAFailure(ErrorCode code)
    {
        Assert.True(CommitErrors.IsRetriable(new Error(code)));
        Assert.True(CommitErrors.IsRebalance(new Error(code)));
    }

    [Theory]
    [InlineData(ErrorCode.RequestTimedOut)]
    [InlineData(ErrorCode.NotCoordinatorForGroup)]
    [InlineData(ErrorCode.GroupCoordinatorNotAvailable)]
    [InlineData(ErrorCode.Local_Transport)]
    [InlineData(ErrorCode.Local_TimedOut)]
    public void IsRetriable_TransientTrouble_IsRetriedButIsNoRebalance(ErrorCode code)
    {
        Assert.True(CommitErrors.IsRetriable(new Error(code)));
        Assert.False(CommitErrors.IsRebalance(new Error(code)));
    }

    [Theory]
    [InlineData(ErrorCode.GroupAuthorizationFailed)]
    [InlineData(ErrorCode.TopicAuthorizationFailed)]
    [InlineData(ErrorCode.OffsetMetadataTooLarge)]
    [InlineData(ErrorCode.InvalidCommitOffsetSize)]
    [InlineData(ErrorCode.FencedInstanceId)]
    public void IsRetriable_AnErrorThatRetriesCannotFix_IsNot(ErrorCode code)
    {
        Assert.False(CommitErrors.IsRetriable(new Error(code)));
        Assert.False(CommitErrors.IsRebalance(new Error(code)));
    }

    [Theory]
    [InlineData(ErrorCode.IllegalGeneration)]
    [InlineData(ErrorCode.UnknownMemberId)]
    [InlineData(ErrorCode.RequestTimedOut)]
    public void IsRetriable_AFatalError_IsNeither(ErrorCode code)
    {
        Assert.False(CommitErrors.IsRebalance(new Error(code, "fatal", isFatal: true)));
        Assert.False(CommitErrors.IsRetriable(new Error(code, "fatal", isFatal: true)));
    }
}
