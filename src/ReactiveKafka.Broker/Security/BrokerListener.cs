namespace ReactiveKafka.Broker;

/// <summary>
/// One named listener: where the broker accepts connections, how they are protected, and the address clients of this
/// listener are told to use (Kafka's <c>listeners</c>, <c>advertised.listeners</c> and
/// <c>listener.security.protocol.map</c>). Metadata and FindCoordinator answer a client with the advertised address of
/// the listener it came in on.
/// </summary>
/// <param name="Name">The listener's name (letters, digits, <c>_</c>, <c>-</c>), unique among the listeners, e.g. <c>SASL_SSL</c> or <c>CLIENT</c>.</param>
/// <param name="Address">The <c>host:port</c> to bind; port 0 picks a free port.</param>
/// <param name="SecurityProtocol">How connections of this listener are protected.</param>
public sealed record BrokerListener(string Name, string Address, BrokerSecurityProtocol SecurityProtocol = BrokerSecurityProtocol.Plaintext)
{
    /// <summary>The <c>host:port</c> given to this listener's clients; default the bound address (a wildcard bind advertises loopback).</summary>
    public string? AdvertisedAddress { get; init; }

    /// <summary>
    /// Reads Kafka's listener settings: <paramref name="listeners"/> as <c>NAME://host:port,...</c>,
    /// <paramref name="advertisedListeners"/> in the same form for some of those names, and
    /// <paramref name="securityProtocolMap"/> as <c>NAME:PROTOCOL,...</c>. As in Kafka, a name missing from the map must
    /// itself be a protocol name (<c>PLAINTEXT</c>, <c>SSL</c>, <c>SASL_PLAINTEXT</c>, <c>SASL_SSL</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A setting is malformed; the message names it and the entry.</exception>
    public static IReadOnlyList<BrokerListener> Parse(string listeners, string? advertisedListeners = null, string? securityProtocolMap = null)
    {
        var map = new Dictionary<string, BrokerSecurityProtocol>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in Split(securityProtocolMap))
        {
            var colon = entry.IndexOf(':');
            if (colon <= 0 || !BrokerSecurityProtocols.TryParse(entry[(colon + 1)..], out var mapped))
            {
                throw new ArgumentException($"listener.security.protocol.map entry '{entry}' is not NAME:PROTOCOL with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL.", nameof(securityProtocolMap));
            }

            map[entry[..colon].Trim()] = mapped;
        }

        var advertised = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in Split(advertisedListeners))
        {
            var (name, address) = SplitUri(entry, "advertised.listeners", nameof(advertisedListeners));
            advertised[name] = address;
        }

        var result = new List<BrokerListener>();
        foreach (var entry in Split(listeners))
        {
            var (name, address) = SplitUri(entry, "listeners", nameof(listeners));
            if (!map.TryGetValue(name, out var protocol) && !BrokerSecurityProtocols.TryParse(name, out protocol))
            {
                throw new ArgumentException($"listeners entry '{entry}': no security protocol for listener {name}; add {name}:PROTOCOL to listener.security.protocol.map.", nameof(listeners));
            }

            result.Add(new BrokerListener(name, address, protocol) { AdvertisedAddress = advertised.GetValueOrDefault(name) });
        }

        foreach (var name in advertised.Keys)
        {
            if (!result.Any(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"advertised.listeners names listener {name}, which is not in listeners.", nameof(advertisedListeners));
            }
        }

        if (result.Count == 0)
        {
            throw new ArgumentException("listeners must name at least one listener (NAME://host:port).", nameof(listeners));
        }

        return result;
    }

    private static IEnumerable<string> Split(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static (string Name, string Address) SplitUri(string entry, string setting, string parameter)
    {
        var separator = entry.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0 || separator + 3 >= entry.Length)
        {
            throw new ArgumentException($"{setting} entry '{entry}' is not NAME://host:port.", parameter);
        }

        return (entry[..separator], entry[(separator + 3)..]);
    }
}
