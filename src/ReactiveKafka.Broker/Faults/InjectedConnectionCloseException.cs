using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker;

/// <summary>Raised inside the broker to close a connection on purpose (fault injection); never reaches a caller.</summary>
internal sealed class InjectedConnectionCloseException(ApiKey api)
    : Exception($"Fault injection closed the connection on a {api} request.");
