using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Diagnostics;

/// <summary>
/// librdkafka's log lines and error events, forwarded to <see cref="KafkaDiagnostics.LibrdkafkaCategory"/>. Called on
/// librdkafka's own threads: it never throws (a logger that fails is ignored rather than crashing the client's thread).
/// </summary>
internal static partial class ClientLog
{
    /// <summary>
    /// Syslog levels to <see cref="LogLevel"/>: emergency to critical are <see cref="LogLevel.Critical"/>, notice and info
    /// <see cref="LogLevel.Information"/> (librdkafka logs little at these levels by default), debug (only with the
    /// <c>debug</c> property set) <see cref="LogLevel.Debug"/>.
    /// </summary>
    public static LogLevel LevelOf(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>Forwards one librdkafka log line.</summary>
    public static void Forward(ILogger logger, LogMessage message)
    {
        try
        {
            var level = LevelOf(message.Level);
            if (logger.IsEnabled(level))
            {
                Line(logger, level, message.Name, message.Facility, message.Message);
            }
        }
        catch (Exception)
        {
            // Never let a logger fault librdkafka's thread.
        }
    }

    /// <summary>
    /// Forwards one librdkafka error event: a fatal error (the client cannot go on) as <see cref="LogLevel.Error"/>, any
    /// other (brokers down, timeouts, which librdkafka keeps retrying) as <see cref="LogLevel.Warning"/>.
    /// </summary>
    public static void ForwardError(ILogger logger, string client, Error error)
    {
        try
        {
            if (error.IsFatal)
            {
                FatalError(logger, client, error.Code, error.Reason);
            }
            else
            {
                ClientError(logger, client, error.Code, error.Reason);
            }
        }
        catch (Exception)
        {
            // As above.
        }
    }

    [LoggerMessage(EventId = 1000, EventName = "LibrdkafkaLog", Message = "{Client} {Facility}: {Text}")]
    private static partial void Line(ILogger logger, LogLevel level, string client, string facility, string text);

    [LoggerMessage(EventId = 1001, EventName = "ClientError", Level = LogLevel.Warning, Message = "{Client} error {Code} (librdkafka retries): {Reason}")]
    private static partial void ClientError(ILogger logger, string client, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1002, EventName = "FatalClientError", Level = LogLevel.Error, Message = "{Client} fatal error {Code}: {Reason}")]
    private static partial void FatalError(ILogger logger, string client, ErrorCode code, string reason);
}
