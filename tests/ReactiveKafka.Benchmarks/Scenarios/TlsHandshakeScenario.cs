using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ReactiveKafka.Benchmarks.Core;
using ReactiveKafka.Broker;

namespace ReactiveKafka.Benchmarks.Scenarios;

/// <summary>
/// The cost of TLS on a new connection: connections per second (connect, TLS 1.3 handshake with a 2048-bit RSA
/// certificate, one ApiVersions request and its answer, close) on the bundled broker's SSL listener against the same on
/// its PLAINTEXT listener, four clients at once, in one broker with both listeners.
/// </summary>
public sealed class TlsHandshakeScenario : IScenario
{
    private const int Clients = 4;

    public string Name => "tls-handshake";

    public string Description => "new connections/s over TLS vs plaintext (connect, handshake, ApiVersions, close)";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        var connections = context.Settings.Count(2_000, smoke: 40);
        using var certificate = SelfSigned();
        await using var broker = await KafkaBroker.StartAsync(new BrokerOptions
        {
            DataDirectory = context.NewDirectory("tls"),
            Listeners =
            [
                new BrokerListener("PLAINTEXT", "127.0.0.1:0"),
                new BrokerListener("SSL", "127.0.0.1:0", BrokerSecurityProtocol.Ssl),
            ],
            Tls = new BrokerTlsOptions { Certificate = certificate },
        });
        var plain = broker.Listeners.Single(l => l.Name == "PLAINTEXT").BoundEndPoint;
        var tls = broker.Listeners.Single(l => l.Name == "SSL").BoundEndPoint;
        var thumbprint = certificate.Thumbprint;

        Task<double> Tls(int run) => MeasureAsync(tls, connections, thumbprint);
        Task<double> Plain(int run) => MeasureAsync(plain, connections, thumbprint: null);
        var (a, b, ratios) = await context.AlternateAsync("TLS", Tls, "plaintext", Plain, warmups: context.Smoke ? 0 : 1);
        return new ScenarioResult
        {
            Name = Name,
            Sizes = $"{connections:N0} connections per run, {Clients} clients at once, TLS 1.3, RSA 2048 certificate, loopback, one ApiVersions v0 each",
            A = new SideResult("TLS", "conn/s", a),
            B = new SideResult("plaintext", "conn/s", b),
            Ratios = ratios,
            Target = "reported, no target (the closing note of issue 17 quotes it)",
            Checked = $"median ratio TLS/plaintext {Report.F(Stats.Median(ratios))}",
            Met = null,
            Notes = { "Client and broker share this process and its cores: each handshake's cost is paid on both sides here, so the ratio is a lower bound for a broker serving remote clients." },
        };
    }

    private static async Task<double> MeasureAsync(IPEndPoint endpoint, int connections, string? thumbprint)
    {
        var remaining = connections;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                await OneConnectionAsync(endpoint, thumbprint);
            }
        }));
        return connections / clock.Elapsed.TotalSeconds;
    }

    private static async Task OneConnectionAsync(IPEndPoint endpoint, string? thumbprint)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        await using var network = new NetworkStream(socket, ownsSocket: false);
        Stream stream = network;
        SslStream? ssl = null;
        if (thumbprint is not null)
        {
            ssl = new SslStream(network, leaveInnerStreamOpen: true, (_, cert, _, _) => cert is not null && cert.GetCertHashString() == thumbprint);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13 });
            stream = ssl;
        }

        // ApiVersions v0: size, api key 18, version 0, correlation id 1, client id "b".
        var request = new byte[4 + 11];
        BinaryPrimitives.WriteInt32BigEndian(request, 11);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(4), 18);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 1);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(12), 1);
        request[14] = (byte)'b';
        await stream.WriteAsync(request);
        var size = new byte[4];
        await stream.ReadExactlyAsync(size);
        await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32BigEndian(size)]);
        if (ssl is not null)
        {
            await ssl.DisposeAsync();
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
