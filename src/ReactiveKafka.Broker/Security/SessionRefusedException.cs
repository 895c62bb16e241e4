namespace ReactiveKafka.Broker.Security;

/// <summary>A request the connection's session does not admit (before login, over the pre-authentication size, or on an expired session): the connection closes.</summary>
/// <param name="reason">Why, for the log.</param>
internal sealed class SessionRefusedException(string reason) : Exception(reason);
