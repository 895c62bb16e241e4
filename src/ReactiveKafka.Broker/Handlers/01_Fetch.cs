using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// Fetch (key 1). Versions start at 4 (the first that carries RecordBatch v2) and stop at 12: version 13 addresses
/// topics by id only, which needs fetch sessions keyed by id (librdkafka 2.x negotiates 12 happily). Serves whole stored batches as bytes up to the high watermark, within
/// the response's and each partition's byte limits, but always at least the first batch of the first
/// partition that has data (KIP-74) so that a batch larger than the limits cannot stall a consumer.
/// Long poll: when fewer than MinBytes are ready, the request waits until a requested partition's high
/// watermark advances or MaxWaitMs passes, without holding a thread or blocking the connection's other
/// requests.
/// Not implemented: incremental fetch sessions (KIP-227): SessionId 0 is answered, which tells the
/// client that no session was created and that it keeps sending full fetches.
/// read_committed (isolation level 1): batches are served up to the last stable offset only, with the aborted
/// transactions that overlap the range returned (from the segments' aborted-transaction indexes), so the client drops
/// the aborted batches; read_uncommitted serves up to the high watermark. Both report the last stable offset.
/// </summary>
internal sealed class FetchHandler(BrokerContext broker) : RequestHandler<FetchRequest, FetchResponse>(minVersion: 4, maxVersion: 12)
{
    /// <summary>The most record bytes one fetch response carries: Kafka's default <c>fetch.max.bytes</c> (55 MiB).</summary>
    private const int MaxResponseBytes = 55 * 1024 * 1024;

    /// <summary>True: a fetch changes nothing; its long poll only waits for data (Kafka parks it in purgatory).</summary>
    public override bool OverlapsLaterRequests => true;

    /// <inheritdoc />
    protected override ValueTask<FetchResponse?> HandleAsync(RequestContext context, FetchRequest request)
    {
        var (response, bytes, hasError) = ReadOnce(context, request);
        if (bytes >= request.MinBytes || hasError || request.MaxWaitMs <= 0)
        {
            return new(response);
        }

        context.ReleaseResponseResources();
        return LongPollAsync(context, request);
    }

    private async ValueTask<FetchResponse?> LongPollAsync(RequestContext context, FetchRequest request)
    {
        var time = broker.Options.TimeProvider;
        var deadline = time.GetTimestamp() + (long)(request.MaxWaitMs * (double)time.TimestampFrequency / 1000);
        var logs = new List<PartitionLog>();
        foreach (var topic in request.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                if (broker.Topics.GetPartition(topic.Topic, partition.Partition) is { } log)
                {
                    logs.Add(log);
                }
            }
        }

        while (true)
        {
            // Subscribe before reading, so that an append between the read and the wait is not missed.
            var advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnAdvanced(PartitionLog _) => advanced.TrySetResult();
            foreach (var log in logs)
            {
                log.HighWatermarkAdvanced += OnAdvanced;
            }

            try
            {
                var (response, bytes, hasError) = ReadOnce(context, request);
                var remaining = time.GetElapsedTime(time.GetTimestamp(), deadline);
                if (bytes >= request.MinBytes || hasError || remaining <= TimeSpan.Zero || context.ConnectionClosed.IsCancellationRequested)
                {
                    return response;
                }

                context.ReleaseResponseResources();
                try
                {
                    await advanced.Task.WaitAsync(remaining, time, context.ConnectionClosed).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
            finally
            {
                foreach (var log in logs)
                {
                    log.HighWatermarkAdvanced -= OnAdvanced;
                }
            }
        }
    }

    private (FetchResponse Response, long Bytes, bool HasError) ReadOnce(RequestContext context, FetchRequest request)
    {
        var response = new FetchResponse { SessionId = 0 };
        long total = 0;
        var hasError = false;
        // A client may ask for up to 2 GiB; like Kafka's fetch.max.bytes, the broker caps what one response holds.
        var responseBudget = Math.Min(request.MaxBytes > 0 ? request.MaxBytes : int.MaxValue, MaxResponseBytes);
        foreach (var topic in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId };
            response.Responses.Add(topicResponse);
            var readable = broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Topic, topic.Topic);
            foreach (var partition in topic.Partitions)
            {
                var data = new FetchResponse.PartitionData
                {
                    PartitionIndex = partition.Partition,
                    HighWatermark = -1,
                    LastStableOffset = -1,
                    LogStartOffset = -1,
                    AbortedTransactions = request.IsolationLevel == 1 ? [] : null,
                    Records = ReadOnlyMemory<byte>.Empty,
                };
                topicResponse.Partitions.Add(data);
                if (!readable)
                {
                    data.ErrorCode = (short)ErrorCode.TopicAuthorizationFailed;
                    hasError = true;
                    continue;
                }

                var log = broker.Topics.GetPartition(topic.Topic, partition.Partition);
                if (log is null)
                {
                    data.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    hasError = true;
                    continue;
                }

                // The first batch is served whole even beyond the limits (KIP-74); after that the limits hold.
                var limit = total == 0 ? Math.Max(1, Math.Min(partition.PartitionMaxBytes, responseBudget)) : Math.Min(partition.PartitionMaxBytes, responseBudget - (int)Math.Min(total, int.MaxValue));
                var highWatermark = log.HighWatermark;
                var stable = log.LastStableOffset;
                if (limit <= 0)
                {
                    FillOffsets(data, log, highWatermark, stable);
                    continue;
                }

                var readCommitted = request.IsolationLevel == 1;
                var read = log.Read(partition.FetchOffset, limit, readCommitted ? stable : highWatermark, minOneBatch: total == 0);
                data.ErrorCode = (short)read.Error;
                FillOffsets(data, log, highWatermark, stable);
                if (read.Error != ErrorCode.None)
                {
                    read.Dispose();
                    hasError = true;
                    continue;
                }

                if (read.Length > 0)
                {
                    if (readCommitted)
                    {
                        data.AbortedTransactions = [.. log.AbortedTransactions(partition.FetchOffset, read.NextOffset).Select(t =>
                            new FetchResponse.AbortedTransaction { ProducerId = t.ProducerId, FirstOffset = t.FirstOffset })];
                    }

                    data.Records = read.Records;
                    total += read.Length;
                    context.DisposeAfterResponse(read);
                }
                else
                {
                    read.Dispose();
                }
            }
        }

        return (response, total, hasError);
    }

    private static void FillOffsets(FetchResponse.PartitionData data, PartitionLog log, long highWatermark, long lastStableOffset)
    {
        data.HighWatermark = highWatermark;
        data.LastStableOffset = Math.Min(lastStableOffset, highWatermark);
        data.LogStartOffset = log.LogStartOffset;
    }
}
