using System.Net;
using ReactiveKafka.Broker.Security;

namespace ReactiveKafka.Broker.Network;

/// <summary>One bound listener as connections and handlers see it: its name, protocol, and advertised address.</summary>
/// <param name="Name">The listener's name.</param>
/// <param name="SecurityProtocol">How its connections are protected.</param>
/// <param name="Tls">The TLS server settings when the protocol uses TLS, else null.</param>
internal sealed record ListenerEndpoint(string Name, BrokerSecurityProtocol SecurityProtocol, ServerTls? Tls)
{
    /// <summary>The address actually bound (the chosen port when 0 was asked; kept across pause and resume).</summary>
    public IPEndPoint BoundEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The host clients of this listener are told to connect to.</summary>
    public string AdvertisedHost { get; set; } = "";

    /// <summary>The port clients of this listener are told to connect to.</summary>
    public int AdvertisedPort { get; set; }

    /// <summary>Whether clients must authenticate with SASL first.</summary>
    public bool UsesSasl => SecurityProtocol.UsesSasl();

    /// <summary>The advertised address as <c>host:port</c>.</summary>
    public string Advertised => $"{AdvertisedHost}:{AdvertisedPort}";
}
