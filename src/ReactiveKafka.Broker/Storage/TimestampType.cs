namespace ReactiveKafka.Broker.Storage;

/// <summary>Kafka's <c>message.timestamp.type</c>: whose clock stamps a batch.</summary>
internal enum TimestampType
{
    /// <summary>The producer's timestamps are kept (<c>CreateTime</c>).</summary>
    CreateTime = 0,

    /// <summary>The broker overwrites each batch's max timestamp with the append time (<c>LogAppendTime</c>).</summary>
    LogAppendTime = 1,
}
