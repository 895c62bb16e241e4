namespace ReactiveKafka;

/// <summary>How the processing of one record ended.</summary>
public enum RecordOutcome
{
    /// <summary>The handler succeeded; the record is acknowledged.</summary>
    Processed,

    /// <summary>
    /// Every attempt failed and nothing was written: the record is not acknowledged (dead-letter it, or acknowledge it
    /// yourself; until then it holds its partition's commits back).
    /// </summary>
    Failed,

    /// <summary>Every attempt failed; the record was written to the next retry topic, then acknowledged.</summary>
    Retried,

    /// <summary>The record was written to the dead-letter topic, then acknowledged.</summary>
    DeadLettered,
}
