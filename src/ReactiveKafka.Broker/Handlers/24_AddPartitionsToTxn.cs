using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Transactions;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;
using static ReactiveKafka.Protocol.Messages.AddPartitionsToTxnResponse;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// AddPartitionsToTxn (key 24), v0–v5: adds partitions to the producer's transaction before its first write to them.
/// v0–3 carry one transaction (what clients send); v4+ a batch of them, each optionally <c>verify_only</c> (Kafka's
/// broker-to-coordinator check, KIP-890 part 1). As Kafka: partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION
/// and the others OPERATION_NOT_ATTEMPTED; otherwise every partition gets the coordinator's answer
/// (<see cref="TransactionCoordinator.AddPartitionsAsync"/>).
/// </summary>
/// <remarks>
/// Authorization, as Kafka's KafkaApis: v0–3 come from clients and need WRITE on the transactional id
/// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every partition), then WRITE on each topic: a topic without it gets
/// TOPIC_AUTHORIZATION_FAILED, and so do Kafka's internal topics always, and the partitions that passed
/// OPERATION_NOT_ATTEMPTED. v4+ is Kafka's broker-to-coordinator call and needs CLUSTER_ACTION on the cluster
/// (a top-level CLUSTER_AUTHORIZATION_FAILED), with no topic check.
/// </remarks>
internal sealed class AddPartitionsToTxnHandler(BrokerContext broker) : RequestHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(minVersion: 0, maxVersion: 5)
{
    /// <inheritdoc />
    protected override async ValueTask<AddPartitionsToTxnResponse?> HandleAsync(RequestContext context, AddPartitionsToTxnRequest request)
    {
        var response = new AddPartitionsToTxnResponse();
        if (context.ApiVersion <= 3)
        {
            // As Kafka: a client's request needs WRITE on the transactional id, then WRITE on each topic.
            response.ResultsByTopicV3AndBelow = !broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.TransactionalId, request.V3AndBelowTransactionalId)
                ? Results(request.V3AndBelowTopics, _ => ErrorCode.TransactionalIdAuthorizationFailed)
                : await AddAsync(context, request.V3AndBelowTransactionalId, request.V3AndBelowProducerId, request.V3AndBelowProducerEpoch,
                    request.V3AndBelowTopics, verifyOnly: false, context.ConnectionClosed).ConfigureAwait(false);
            return response;
        }

        // v4+ is Kafka's broker-to-coordinator call: CLUSTER_ACTION.
        if (!broker.Authorizer.AllowsCluster(context, AclOperation.ClusterAction))
        {
            response.ErrorCode = (short)ErrorCode.ClusterAuthorizationFailed;
            return response;
        }

        foreach (var transaction in request.Transactions)
        {
            response.ResultsByTransaction.Add(new AddPartitionsToTxnResult
            {
                TransactionalId = transaction.TransactionalId,
                TopicResults = await AddAsync(context, transaction.TransactionalId, transaction.ProducerId, transaction.ProducerEpoch,
                    transaction.Topics, transaction.VerifyOnly, context.ConnectionClosed).ConfigureAwait(false),
            });
        }

        return response;
    }

    // Kafka's Topic.isInternal names: a client may never add them to a transaction (Kafka filters them out before
    // authorizing, so even a super user gets TOPIC_AUTHORIZATION_FAILED).
    private static readonly HashSet<string> s_internalTopics = new(StringComparer.Ordinal) { "__consumer_offsets", "__transaction_state", "__share_group_state" };

    private async ValueTask<List<AddPartitionsToTxnTopicResult>> AddAsync(RequestContext context,
        string transactionalId, long producerId, short producerEpoch, List<AddPartitionsToTxnRequest.AddPartitionsToTxnTopic> topics, bool verifyOnly, CancellationToken cancellationToken)
    {
        var partitions = topics.SelectMany(t => t.Partitions.Select(p => new TransactionPartition(t.Name, p))).ToList();
        // Only client versions (v0–3) are checked per topic; v4+ passed CLUSTER_ACTION.
        var unauthorized = context.ApiVersion > 3 ? [] : topics.Select(t => t.Name).Distinct(StringComparer.Ordinal)
            .Where(t => s_internalTopics.Contains(t) || !broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.Topic, t)).ToHashSet(StringComparer.Ordinal);
        var missing = partitions.Where(p => !unauthorized.Contains(p.Topic) && broker.Topics.GetPartition(p.Topic, p.Partition) is null).ToHashSet();
        if (missing.Count > 0 || unauthorized.Count > 0)
        {
            return Results(topics, p => unauthorized.Contains(p.Topic) ? ErrorCode.TopicAuthorizationFailed
                : missing.Contains(p) ? ErrorCode.UnknownTopicOrPartition : ErrorCode.OperationNotAttempted);
        }

        if (verifyOnly)
        {
            var (error, verified) = broker.Transactions.VerifyPartitions(transactionalId, producerId, producerEpoch, partitions);
            return Results(topics, p => error != ErrorCode.None ? error : verified[p]);
        }

        var added = await broker.Transactions.AddPartitionsAsync(transactionalId, producerId, producerEpoch, partitions, cancellationToken).ConfigureAwait(false);
        return Results(topics, _ => added);
    }

    private static List<AddPartitionsToTxnTopicResult> Results(List<AddPartitionsToTxnRequest.AddPartitionsToTxnTopic> topics, Func<TransactionPartition, ErrorCode> error) =>
        [
            .. topics.Select(t => new AddPartitionsToTxnTopicResult
            {
                Name = t.Name,
                ResultsByPartition = [.. t.Partitions.Select(p => new AddPartitionsToTxnPartitionResult { PartitionIndex = p, PartitionErrorCode = (short)error(new TransactionPartition(t.Name, p)) })],
            }),
        ];
}
