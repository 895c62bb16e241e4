using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>The outcome of a <see cref="TopicStore"/> admin operation, as an admin response reports it.</summary>
/// <param name="Error">None, or the Kafka error code.</param>
/// <param name="Message">Why, when <paramref name="Error"/> is set.</param>
/// <param name="Topic">The topic after the operation (or as it would be, with validateOnly).</param>
internal readonly record struct TopicResult(ErrorCode Error, string? Message = null, TopicInfo? Topic = null)
{
    /// <summary>A failure.</summary>
    public static TopicResult Failed(ErrorCode error, string message) => new(error, message);
}
