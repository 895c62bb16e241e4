using Confluent.Kafka;
using ReactiveKafka.Broker;
using WireApiKey = ReactiveKafka.Protocol.ApiKey;
using WireErrorCode = ReactiveKafka.Protocol.ErrorCode;

namespace ReactiveKafka.Testing;

/// <summary>
/// Fault injection on the bundled broker's real wire, in the terms a client test uses: the request kind as a
/// <see cref="KafkaApi"/> and the error as Confluent.Kafka's <see cref="ErrorCode"/> (the code the client then
/// reports). Make the next requests of an API fail, delay responses, close client connections, pause the listener.
/// </summary>
/// <remarks>
/// An injected error is written into the response after the broker served the request, the way a lost acknowledgement
/// looks to a client: a produce may have been appended, a commit stored. Everything is off until a test arms it; it
/// follows the broker across <see cref="KafkaTestBroker.RestartAsync"/> (faults armed before a restart are not kept).
/// Thread-safe.
/// </remarks>
/// <example>
/// <code language="csharp"><![CDATA[
/// using Confluent.Kafka;
/// using ReactiveKafka.Testing;
///
/// broker.Faults.FailNext(KafkaApi.OffsetCommit, ErrorCode.RebalanceInProgress);
/// ]]></code>
/// </example>
public sealed class KafkaTestFaults
{
    private readonly Func<BrokerFaults> _faults;

    internal KafkaTestFaults(Func<BrokerFaults> faults)
    {
        _faults = faults;
    }

    /// <summary>Whether any fault is armed.</summary>
    public bool IsActive => _faults().IsActive;

    /// <summary>
    /// The broker's own fault API, in wire-protocol terms (<c>ReactiveKafka.Protocol</c>'s <c>ApiKey</c> and
    /// <c>ErrorCode</c>), for a test that speaks the protocol itself.
    /// </summary>
    public BrokerFaults Wire => _faults();

    /// <summary>
    /// Makes the next <paramref name="count"/> requests of <paramref name="api"/> answer <paramref name="error"/>; with
    /// <paramref name="topic"/> (and <paramref name="partition"/>) only that topic's (partition's) results carry the
    /// error, and only requests that name the topic count.
    /// </summary>
    /// <param name="api">The request kind.</param>
    /// <param name="error">A broker error code (positive); the client reports exactly this code.</param>
    /// <param name="count">How many requests fail; at least 1.</param>
    /// <param name="topic">Only requests naming this topic, and only its results.</param>
    /// <param name="partition">With <paramref name="topic"/>: only this partition's results.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="error"/> is <see cref="ErrorCode.NoError"/> or a client-side <c>Local_</c> code (a broker cannot
    /// answer those), or <paramref name="count"/> is below 1.
    /// </exception>
    public void FailNext(KafkaApi api, ErrorCode error, int count = 1, string? topic = null, int? partition = null) =>
        _faults().FailNext((WireApiKey)api, ToWire(error), count, topic, partition);

    /// <summary>Delays the responses of the next <paramref name="count"/> requests of <paramref name="api"/> (all APIs when null).</summary>
    /// <param name="delay">How long each response waits; not negative.</param>
    /// <param name="api">The request kind, or null for every request.</param>
    /// <param name="count">How many responses; at least 1 (default: until <see cref="Clear"/>).</param>
    public void DelayResponses(TimeSpan delay, KafkaApi? api = null, int count = int.MaxValue) =>
        _faults().DelayResponses(delay, api is { } key ? (WireApiKey)key : null, count);

    /// <summary>Closes the connection that sends the next request of <paramref name="api"/>, instead of answering it.</summary>
    /// <param name="api">The request kind.</param>
    /// <param name="count">How many requests; at least 1.</param>
    public void CloseConnectionOnNext(KafkaApi api, int count = 1) => _faults().CloseConnectionOnNext((WireApiKey)api, count);

    /// <summary>
    /// Serves the next <paramref name="count"/> requests of <paramref name="api"/> and then closes their connection
    /// instead of answering: a produce is appended but never acknowledged, so the client retries it (an idempotent
    /// producer's retry is then answered with the original offsets).
    /// </summary>
    /// <param name="api">The request kind.</param>
    /// <param name="count">How many requests; at least 1.</param>
    /// <param name="topic">Only requests naming this topic count; null for any.</param>
    public void CloseConnectionAfterNext(KafkaApi api, int count = 1, string? topic = null) =>
        _faults().CloseConnectionAfterNext((WireApiKey)api, count, topic);

    /// <summary>Closes every open client connection now; returns how many were closed. Clients reconnect.</summary>
    public int CloseConnections() => _faults().CloseConnections();

    /// <summary>Stops accepting connections (new ones are refused) until <see cref="ResumeListener"/>.</summary>
    public Task PauseListenerAsync() => _faults().PauseListenerAsync();

    /// <summary>Accepts connections again on the same port.</summary>
    public void ResumeListener() => _faults().ResumeListener();

    /// <summary>Disarms every fault.</summary>
    public void Clear() => _faults().Clear();

    /// <summary>Confluent's broker error codes are Kafka's own numbers; its negative <c>Local_</c> codes never cross the wire.</summary>
    private static WireErrorCode ToWire(ErrorCode error) => (int)error > 0
        ? (WireErrorCode)(short)error
        : throw new ArgumentOutOfRangeException(
            nameof(error),
            error,
            error == ErrorCode.NoError
                ? "FailNext needs an error code; ErrorCode.NoError is not one."
                : $"ErrorCode.{error} is a client-side (librdkafka) error: a broker can only answer Kafka's error codes (positive values).");
}
