namespace ReactiveKafka.Broker;

/// <summary>When the broker forces appended records to disk.</summary>
public enum BrokerFlushPolicy
{
    /// <summary>
    /// An <c>acks=all</c> produce is acknowledged only after its records are fsync'd (group commit: every
    /// append waiting when an fsync starts shares it), and consumers never see records that are not yet
    /// durable. Survives a kill -9 of the broker and a power loss.
    /// </summary>
    Durable,

    /// <summary>fsync on a fixed interval; a crash loses at most that interval of acknowledged writes.</summary>
    Interval,

    /// <summary>Leave flushing to the operating system (fastest; survives a process kill, not a power loss).</summary>
    OperatingSystem,
}
