using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Diagnostics;

/// <summary>The receiver's own events (<see cref="KafkaDiagnostics.ReceiverCategory"/>).</summary>
internal static partial class ReceiverLog
{
    [LoggerMessage(EventId = 2000, EventName = "PartitionsAssigned", Level = LogLevel.Information, Message = "Group {Group}: assigned {Partitions}")]
    public static partial void Assigned(ILogger logger, string group, string partitions);

    [LoggerMessage(EventId = 2001, EventName = "PartitionsRevoked", Level = LogLevel.Information, Message = "Group {Group}: revoked {Partitions} (acknowledged offsets committed first)")]
    public static partial void Revoked(ILogger logger, string group, string partitions);

    [LoggerMessage(EventId = 2002, EventName = "PartitionsLost", Level = LogLevel.Warning, Message = "Group {Group}: lost {Partitions} (nothing committed; the next owner reads their unacknowledged records again)")]
    public static partial void Lost(ILogger logger, string group, string partitions);

    [LoggerMessage(EventId = 2003, EventName = "CommitRetry", Level = LogLevel.Warning, Message = "Group {Group}: commit attempt {Attempt} failed with {Code}, retrying (partitions paused meanwhile): {Reason}")]
    public static partial void CommitRetry(ILogger logger, string group, int attempt, ErrorCode code, string reason);

    [LoggerMessage(EventId = 2004, EventName = "ReceiverFailed", Level = LogLevel.Error, Message = "Group {Group}: the receive sequence ends with an error")]
    public static partial void Failed(ILogger logger, Exception error, string group);

    [LoggerMessage(EventId = 2005, EventName = "BackpressurePaused", Level = LogLevel.Debug, Message = "Group {Group}: bounds reached for a while, {Count} partition(s) paused for backpressure")]
    public static partial void BackpressurePaused(ILogger logger, string group, int count);

    [LoggerMessage(EventId = 2006, EventName = "BackpressureResumed", Level = LogLevel.Debug, Message = "Group {Group}: backpressure released after {Seconds:0.###} s")]
    public static partial void BackpressureResumed(ILogger logger, string group, double seconds);

    [LoggerMessage(EventId = 2007, EventName = "CommitFailedOnRevoke", Level = LogLevel.Warning, Message = "Group {Group}: committing on revocation or close failed with {Code}: {Reason} (the next owner reads the uncommitted records again)")]
    public static partial void CommitFailedWithoutRetry(ILogger logger, string group, ErrorCode code, string reason);

    [LoggerMessage(EventId = 2008, EventName = "CommitMetRebalance", Level = LogLevel.Warning, Message = "Group {Group}: commit attempt {Attempt} refused with {Code} (the member lost or is losing its partitions; librdkafka rejoins the group), retrying for the partitions still owned: {Reason}")]
    public static partial void CommitMetRebalance(ILogger logger, string group, int attempt, ErrorCode code, string reason);

    [LoggerMessage(EventId = 2009, EventName = "CommitLeftToRebalance", Level = LogLevel.Warning, Message = "Group {Group}: commit still refused with {Code} after {Attempts} attempt(s); left to the next due commit (partitions that move are read again by their next owner): {Reason}")]
    public static partial void CommitLeftToRebalance(ILogger logger, string group, int attempts, ErrorCode code, string reason);

    [LoggerMessage(EventId = 2010, EventName = "TopicError", Level = LogLevel.Warning, Message = "Group {Group}: topic '{Topic}' cannot be read: {Code}: {Reason} (librdkafka keeps retrying; logged once per topic and error)")]
    public static partial void TopicError(ILogger logger, string group, string topic, ErrorCode code, string reason);
}
