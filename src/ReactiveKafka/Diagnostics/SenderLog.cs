using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Diagnostics;

/// <summary>The sender's own events (<see cref="KafkaDiagnostics.SenderCategory"/>).</summary>
internal static partial class SenderLog
{
    [LoggerMessage(EventId = 3000, EventName = "CloseFailedInFlight", Level = LogLevel.Warning, Message = "{Client}: closed with {Count} record(s) still unacknowledged after the close timeout {Timeout}: they were failed")]
    public static partial void ClosedWithInFlight(ILogger logger, string client, int count, TimeSpan timeout);
}
