using ReactiveKafka.Broker.Handlers;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker;

/// <summary>
/// Fault injection on the real wire, for tests: make the next requests of an API fail with a Kafka
/// error code (optionally only for one topic or partition), delay responses, close client connections,
/// and pause or resume the listener. Everything is off until a test arms it; while nothing is armed,
/// a request pays one volatile read.
/// </summary>
/// <remarks>
/// An injected error is applied to the response after the broker has served the request, the way a
/// lost acknowledgement looks to a client: a produce may have been appended, a commit stored, and the
/// client is told it failed (and the records of a failed fetch partition are withheld). Thread-safe.
/// </remarks>
public sealed class BrokerFaults
{
    private readonly object _gate = new();
    private readonly List<FaultRule> _rules = [];
    private volatile bool _active;
    private IReadOnlyList<ConnectionListener> _listeners = [];

    /// <summary>Whether any fault is armed.</summary>
    public bool IsActive => _active;

    internal void Attach(IReadOnlyList<ConnectionListener> listeners) => _listeners = listeners;

    /// <summary>
    /// Makes the next <paramref name="count"/> requests of <paramref name="api"/> answer
    /// <paramref name="error"/>; with <paramref name="topic"/> (and <paramref name="partition"/>) only
    /// that topic's (partition's) results carry the error, and only requests that name it count.
    /// </summary>
    public void FailNext(ApiKey api, ErrorCode error, int count = 1, string? topic = null, int? partition = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Add(new FaultRule(api, count, error, TimeSpan.Zero, CloseConnection: false, topic, partition));
    }

    /// <summary>Delays the responses of the next <paramref name="count"/> requests of <paramref name="api"/> (all APIs when null).</summary>
    public void DelayResponses(TimeSpan delay, ApiKey? api = null, int count = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Add(new FaultRule(api, count, ErrorCode.None, delay, CloseConnection: false, null, null));
    }

    /// <summary>Closes the connection that sends the next request of <paramref name="api"/>, instead of answering it.</summary>
    public void CloseConnectionOnNext(ApiKey api, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Add(new FaultRule(api, count, ErrorCode.None, TimeSpan.Zero, CloseConnection: true, null, null));
    }

    /// <summary>
    /// Serves the next <paramref name="count"/> requests of <paramref name="api"/> (naming <paramref name="topic"/>, when
    /// given) and then closes their connection instead of answering: a produce is appended but never acknowledged, the
    /// lost response that makes a client retry.
    /// </summary>
    public void CloseConnectionAfterNext(ApiKey api, int count = 1, string? topic = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Add(new FaultRule(api, count, ErrorCode.None, TimeSpan.Zero, CloseConnection: false, topic, null) { CloseAfterServing = true });
    }

    /// <summary>Closes every open client connection of every listener now; returns how many were closed. Clients reconnect.</summary>
    public int CloseConnections() => Listeners.Sum(l => l.CloseConnections());

    /// <summary>Stops accepting connections on every listener (new ones are refused) until <see cref="ResumeListener"/>.</summary>
    public Task PauseListenerAsync() => Task.WhenAll(Listeners.Select(l => l.PauseAsync()));

    /// <summary>Accepts connections again on the same ports.</summary>
    public void ResumeListener()
    {
        foreach (var listener in Listeners)
        {
            listener.Resume();
        }
    }

    /// <summary>Disarms every fault.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            _active = false;
        }
    }

    private IReadOnlyList<ConnectionListener> Listeners => _listeners.Count > 0 ? _listeners : throw new InvalidOperationException("The broker has not started its listeners.");

    private void Add(FaultRule rule)
    {
        lock (_gate)
        {
            _rules.Add(rule);
            _active = true;
        }
    }

    internal async ValueTask<IKafkaMessage?> InterceptAsync(RequestContext context, IRequestHandler handler, ReadOnlyMemory<byte> body)
    {
        var rule = Take(context.ApiKey, body, handler, context);
        if (rule is null)
        {
            return await handler.HandleAsync(context, body).ConfigureAwait(false);
        }

        if (rule.CloseConnection)
        {
            throw new InjectedConnectionCloseException(context.ApiKey);
        }

        var response = await handler.HandleAsync(context, body).ConfigureAwait(false);
        if (rule.CloseAfterServing)
        {
            throw new InjectedConnectionCloseException(context.ApiKey);
        }

        if (rule.Delay > TimeSpan.Zero)
        {
            await Task.Delay(rule.Delay, context.ConnectionClosed).ConfigureAwait(false);
        }

        if (rule.Error != ErrorCode.None && response is not null)
        {
            ResponseErrorInjector.Apply(response, rule.Error, rule.Topic, rule.Partition);
        }

        return response;
    }

    private FaultRule? Take(ApiKey api, ReadOnlyMemory<byte> body, IRequestHandler handler, RequestContext context)
    {
        lock (_gate)
        {
            for (var i = 0; i < _rules.Count; i++)
            {
                var rule = _rules[i];
                if (rule.Api is { } wanted && wanted != api)
                {
                    continue;
                }

                if (rule.Topic is not null && !RequestNamesTopic(body, rule.Topic))
                {
                    continue;
                }

                rule.Remaining--;
                if (rule.Remaining == 0)
                {
                    _rules.RemoveAt(i);
                    _active = _rules.Count > 0;
                }

                return rule;
            }

            return null;
        }
    }

    // Topic names are plain UTF-8 in every request encoding, so a byte search is a cheap, version-independent
    // test of whether a request concerns a topic.
    private static bool RequestNamesTopic(ReadOnlyMemory<byte> body, string topic) =>
        body.Span.IndexOf(System.Text.Encoding.UTF8.GetBytes(topic)) >= 0;

    private sealed class FaultRule(ApiKey? api, int count, ErrorCode error, TimeSpan delay, bool CloseConnection, string? topic, int? partition)
    {
        public ApiKey? Api { get; } = api;

        public int Remaining { get; set; } = count;

        public ErrorCode Error { get; } = error;

        public TimeSpan Delay { get; } = delay;

        public bool CloseConnection { get; } = CloseConnection;

        public bool CloseAfterServing { get; init; }

        public string? Topic { get; } = topic;

        public int? Partition { get; } = partition;
    }
}
