using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// Produce (key 0). Versions start at 3, the first that carries RecordBatch v2 (magic 2): the broker stores only
/// magic 2 and does not convert older formats. Each partition's records are validated and
/// appended as received with offsets assigned from the batch headers. acks=0 gets no response; acks=1 is
/// answered once appended; acks=-1 (all) once the records are durable under the flush policy (the only
/// replica is this one, so "all in-sync replicas" means "on disk"). Unknown topics are not created here:
/// as in Kafka, auto-creation happens on Metadata.
/// Batches of idempotent and transactional producers are checked against the partition's producer state (a retry of
/// one of a producer's last 5 batches is answered with its original offsets and not appended again; sequence gaps,
/// fenced epochs and transactional misuse get Kafka's error codes, see <c>Storage.Producers.ProducerStateManager</c>);
/// transactional batches must belong to the producer's ongoing transaction on that partition (verified with the
/// transaction coordinator first, as Kafka 3.6+: INVALID_TXN_STATE, INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING).
/// </summary>
internal sealed class ProduceHandler(BrokerContext broker) : RequestHandler<ProduceRequest, ProduceResponse>(minVersion: 3, maxVersion: 11)
{
    /// <summary>
    /// True: the append happens in the synchronous part; what follows only waits for the fsync, so the connection's
    /// next produce need not wait for it (librdkafka pipelines produce requests).
    /// </summary>
    public override bool OverlapsLaterRequests => true;

    /// <inheritdoc />
    protected override ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request)
    {
        var response = new ProduceResponse();
        var acks = request.Acks;
        var validAcks = acks is 0 or 1 or -1;
        List<(ProduceResponse.PartitionProduceResponse Result, Storage.PartitionLog Log, long EndOffset)>? durableWaits = null;
        var now = broker.Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

        // Kafka's checks: WRITE on the transactional id of a transactional produce, then WRITE on each topic.
        var transactionDenied = request.TransactionalId is { } transactionalId
            && !broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.TransactionalId, transactionalId);
        foreach (var topic in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topic.Name };
            response.Responses.Add(topicResponse);
            var denied = transactionDenied ? ErrorCode.TransactionalIdAuthorizationFailed
                : !broker.Authorizer.Allows(context, AclOperation.Write, AclResourceType.Topic, topic.Name) ? ErrorCode.TopicAuthorizationFailed
                : ErrorCode.None;
            foreach (var partition in topic.PartitionData)
            {
                var result = new ProduceResponse.PartitionProduceResponse { Index = partition.Index, BaseOffset = -1 };
                topicResponse.PartitionResponses.Add(result);
                if (denied != ErrorCode.None)
                {
                    result.ErrorCode = (short)denied;
                    continue;
                }

                if (!validAcks)
                {
                    result.ErrorCode = (short)ErrorCode.InvalidRequiredAcks;
                    continue;
                }

                var log = broker.Topics.GetPartition(topic.Name, partition.Index);
                if (log is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }

                if (partition.Records is not { Length: > 0 } records)
                {
                    result.ErrorCode = (short)ErrorCode.InvalidRecord;
                    result.ErrorMessage = "The produce request has no records for this partition.";
                    continue;
                }

                // Kafka's transaction verification (KIP-890 part 1): a transactional write must go to a partition of
                // the producer's ongoing transaction, else it could hang the partition's last stable offset.
                if (broker.Transactions.VerifyProduce(request.TransactionalId, records.Span, new(topic.Name, partition.Index)) is var verified and not ErrorCode.None)
                {
                    result.ErrorCode = (short)verified;
                    result.ErrorMessage = $"The transactional records are not part of an ongoing transaction of {request.TransactionalId ?? "a transactional id"} on this partition ({verified}).";
                    continue;
                }

                var appended = log.Append(records, now);
                result.ErrorCode = (short)appended.Error;
                result.ErrorMessage = appended.Message;
                result.LogStartOffset = log.LogStartOffset;
                if (appended.Error != ErrorCode.None)
                {
                    continue;
                }

                result.BaseOffset = appended.BaseOffset;
                result.LogAppendTimeMs = appended.LogAppendTimeMs;
                if (acks == -1)
                {
                    (durableWaits ??= []).Add((result, log, appended.LastOffset + 1));
                }
            }
        }

        if (acks == 0)
        {
            // Wait for nothing and answer nothing: the client does not read a response to acks=0.
            return new((ProduceResponse?)null);
        }

        return durableWaits is null ? new(response) : WaitDurableAsync(response, durableWaits, request.TimeoutMs, context.ConnectionClosed);
    }

    private static async ValueTask<ProduceResponse?> WaitDurableAsync(
        ProduceResponse response,
        List<(ProduceResponse.PartitionProduceResponse Result, Storage.PartitionLog Log, long EndOffset)> waits,
        int timeoutMs,
        CancellationToken connectionClosed)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connectionClosed);
        if (timeoutMs > 0)
        {
            timeout.CancelAfter(timeoutMs);
        }

        foreach (var (result, log, endOffset) in waits)
        {
            try
            {
                await log.WaitForDurableAsync(endOffset, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!connectionClosed.IsCancellationRequested)
            {
                result.ErrorCode = (short)ErrorCode.RequestTimedOut;
                result.ErrorMessage = $"The records were appended but not yet flushed to disk within the request timeout of {timeoutMs} ms.";
            }
            catch (IOException ex)
            {
                // The fsync failed: the log is offline, as Kafka takes a log directory offline on a storage error.
                result.ErrorCode = (short)ErrorCode.KafkaStorageError;
                result.ErrorMessage = $"Flushing the records to disk failed: {ex.Message}";
            }
            catch (ObjectDisposedException)
            {
                // The partition was deleted or the broker is stopping while the records waited for their flush.
                result.ErrorCode = (short)ErrorCode.NotLeaderOrFollower;
                result.ErrorMessage = "The partition was closed before the records were flushed to disk.";
            }
        }

        return response;
    }
}
