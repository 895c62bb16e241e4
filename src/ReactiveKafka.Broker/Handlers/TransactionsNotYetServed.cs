using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

// The transactional producer APIs (keys 24, 25, 26, 28). The broker decodes them but
// does not advertise them yet; a client that calls one anyway gets UNSUPPORTED_VERSION in the response
// body, per partition where the response has partitions, instead of a dropped connection.

/// <summary>AddPartitionsToTxn (key 24): not served yet.</summary>
internal sealed class AddPartitionsToTxnHandler() : RequestHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(minVersion: 0, maxVersion: 5, advertised: false)
{
    /// <inheritdoc />
    protected override ValueTask<AddPartitionsToTxnResponse?> HandleAsync(RequestContext context, AddPartitionsToTxnRequest request)
    {
        static List<AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult> Fail(List<AddPartitionsToTxnRequest.AddPartitionsToTxnTopic> topics) =>
            topics.Select(t => new AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult
            {
                Name = t.Name,
                ResultsByPartition = t.Partitions.Select(p => new AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult
                {
                    PartitionIndex = p,
                    PartitionErrorCode = (short)ErrorCode.UnsupportedVersion,
                }).ToList(),
            }).ToList();

        return new(new AddPartitionsToTxnResponse
        {
            ErrorCode = (short)ErrorCode.UnsupportedVersion,
            ResultsByTopicV3AndBelow = Fail(request.V3AndBelowTopics),
            ResultsByTransaction = request.Transactions.Select(t => new AddPartitionsToTxnResponse.AddPartitionsToTxnResult
            {
                TransactionalId = t.TransactionalId,
                TopicResults = Fail(t.Topics),
            }).ToList(),
        });
    }
}

/// <summary>AddOffsetsToTxn (key 25): not served yet.</summary>
internal sealed class AddOffsetsToTxnHandler() : RequestHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(minVersion: 0, maxVersion: 4, advertised: false)
{
    /// <inheritdoc />
    protected override ValueTask<AddOffsetsToTxnResponse?> HandleAsync(RequestContext context, AddOffsetsToTxnRequest request) =>
        new(new AddOffsetsToTxnResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion });
}

/// <summary>EndTxn (key 26): not served yet.</summary>
internal sealed class EndTxnHandler() : RequestHandler<EndTxnRequest, EndTxnResponse>(minVersion: 0, maxVersion: 5, advertised: false)
{
    /// <inheritdoc />
    protected override ValueTask<EndTxnResponse?> HandleAsync(RequestContext context, EndTxnRequest request) =>
        new(new EndTxnResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion });
}

/// <summary>TxnOffsetCommit (key 28): not served yet.</summary>
internal sealed class TxnOffsetCommitHandler() : RequestHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(minVersion: 0, maxVersion: 4, advertised: false)
{
    /// <inheritdoc />
    protected override ValueTask<TxnOffsetCommitResponse?> HandleAsync(RequestContext context, TxnOffsetCommitRequest request) =>
        new(new TxnOffsetCommitResponse
        {
            Topics = request.Topics.Select(t => new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic
            {
                Name = t.Name,
                Partitions = t.Partitions.Select(p => new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)ErrorCode.UnsupportedVersion,
                }).ToList(),
            }).ToList(),
        });
}
