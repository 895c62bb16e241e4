using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>The outcome of <see cref="PartitionLog.Append"/>, shaped like a Produce partition response.</summary>
/// <param name="Error">None, or why nothing was appended.</param>
/// <param name="BaseOffset">The offset given to the first record; -1 on error.</param>
/// <param name="LastOffset">The offset given to the last record; -1 on error.</param>
/// <param name="LogAppendTimeMs">The broker timestamp written into the batches, or -1 unless LogAppendTime.</param>
/// <param name="LogStartOffset">The log start offset after the append.</param>
/// <param name="Message">A human-readable reason when <paramref name="Error"/> is set.</param>
internal readonly record struct AppendResult(
    ErrorCode Error,
    long BaseOffset,
    long LastOffset,
    long LogAppendTimeMs,
    long LogStartOffset,
    string? Message = null)
{
    /// <summary>A failed append.</summary>
    public static AppendResult Failed(ErrorCode error, string message, long logStartOffset = -1) =>
        new(error, -1, -1, -1, logStartOffset, message);
}
