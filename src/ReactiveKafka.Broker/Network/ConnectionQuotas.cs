using System.Net;

namespace ReactiveKafka.Broker.Network;

/// <summary>
/// Open connections per client address, against <see cref="BrokerOptions.MaxConnectionsPerIp"/> and its overrides
/// (Kafka's <c>max.connections.per.ip</c> and <c>max.connections.per.ip.overrides</c>). Thread-safe.
/// </summary>
internal sealed class ConnectionQuotas
{
    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly int _defaultLimit;
    private readonly Dictionary<IPAddress, int> _overrides;

    public ConnectionQuotas(BrokerOptions options)
    {
        _defaultLimit = options.MaxConnectionsPerIp;
        _overrides = (options.MaxConnectionsPerIpOverrides ?? new Dictionary<string, int>())
            .ToDictionary(o => Normalize(IPAddress.Parse(o.Key)), o => o.Value);
    }

    /// <summary>Counts a new connection from <paramref name="address"/>; false (nothing counted) when its limit is reached.</summary>
    public bool TryAdd(IPAddress address, out int limit)
    {
        address = Normalize(address);
        limit = _overrides.TryGetValue(address, out var own) ? own : _defaultLimit;
        lock (_open)
        {
            var open = _open.GetValueOrDefault(address);
            if (open >= limit)
            {
                return false;
            }

            _open[address] = open + 1;
            return true;
        }
    }

    /// <summary>Uncounts a connection that <see cref="TryAdd"/> counted.</summary>
    public void Remove(IPAddress address)
    {
        address = Normalize(address);
        lock (_open)
        {
            if (_open.TryGetValue(address, out var open))
            {
                if (open <= 1)
                {
                    _open.Remove(address);
                }
                else
                {
                    _open[address] = open - 1;
                }
            }
        }
    }

    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; they count as a.b.c.d.
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
