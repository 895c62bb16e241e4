using System.Net;

namespace ReactiveKafka.Broker;

/// <summary>A running listener: what <see cref="KafkaBroker.Listeners"/> reports.</summary>
/// <param name="Name">The listener's name.</param>
/// <param name="SecurityProtocol">How its connections are protected.</param>
/// <param name="BoundEndPoint">The address bound (the chosen port when 0 was asked).</param>
/// <param name="AdvertisedAddress">The <c>host:port</c> its clients are given.</param>
public sealed record BrokerListenerInfo(string Name, BrokerSecurityProtocol SecurityProtocol, IPEndPoint BoundEndPoint, string AdvertisedAddress);
