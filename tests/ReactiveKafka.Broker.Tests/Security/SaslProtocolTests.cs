using System.Net;
using System.Text;
using ReactiveKafka.Broker.Tests.Clients;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// The SASL exchange on the wire, as clients drive it and as no client would: only ApiVersions and SaslHandshake before
/// a login, Kafka's 512 KiB limit before it, a v0 handshake followed by raw tokens (kafka-python), an unknown
/// mechanism, a wrong password and an unsecured OAUTHBEARER token that has expired, each answered as Kafka answers it.
/// </summary>
public sealed class SaslProtocolTests(SecuredBrokerFixture fixture) : IClassFixture<SecuredBrokerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IPEndPoint SaslPlaintext => fixture.Listener("SASL_PLAINTEXT").BoundEndPoint;

    [Fact]
    public async Task RequestBeforeLogin_ClosesTheConnection()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        var (frame, _) = connection.Frame(new MetadataRequest { Topics = null }, 1);
        await connection.SendAsync(Ct, frame);

        Assert.True(await connection.ClosedByBrokerAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Contains(fixture.Log.Lines, l => l.Contains("Unexpected Kafka request of type Metadata during SASL handshake."));
    }

    [Fact]
    public async Task UnauthenticatedRequestOf600KiB_ClosesTheConnection()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        var (frame, _) = connection.Frame(new ApiVersionsRequest(), 0);
        var big = new byte[600 * 1024 + 4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(big, 600 * 1024);
        frame.AsSpan(4).CopyTo(big.AsSpan(4));
        try
        {
            await connection.SendRawAsync(big, Ct);
        }
        catch (IOException)
        {
            // The broker may close before it has read everything.
        }

        Assert.True(await connection.ClosedByBrokerAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Contains(fixture.Log.Lines, l => l.Contains("Failing SASL authentication due to invalid receive size: 614400 bytes"));
    }

    [Fact]
    public async Task HandshakeV0_ThenARawPlainToken_LogsIn()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        var handshake = await HandshakeAsync(connection, "PLAIN", 0);
        Assert.Equal((short)ErrorCode.None, handshake.ErrorCode);
        Assert.Contains("SCRAM-SHA-512", handshake.Mechanisms);

        await connection.SendRawAsync(SizePrefixed(Plain("alice", SecuredBrokerFixture.AlicePassword)), Ct);
        Assert.Empty(await connection.ReceiveRawAsync(Ct));

        var (metadata, id) = connection.Frame(new MetadataRequest { Topics = null }, 1);
        await connection.SendAsync(Ct, metadata);
        var response = await connection.ReceiveAsync<MetadataResponse>(id, 1, Ct);
        Assert.Equal(SaslPlaintext.Port, Assert.Single(response.Brokers).Port);
    }

    [Fact]
    public async Task HandshakeV0_WrongPassword_ClosesWithoutAnAnswer()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        await HandshakeAsync(connection, "PLAIN", 0);
        await connection.SendRawAsync(SizePrefixed(Plain("alice", "wrong")), Ct);

        Assert.True(await connection.ClosedByBrokerAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task UnknownMechanism_IsAnsweredWithTheEnabledOnesThenClosed()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        var response = await HandshakeAsync(connection, "GSSAPI", 1);

        Assert.Equal((short)ErrorCode.UnsupportedSaslMechanism, response.ErrorCode);
        Assert.Equal(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"], response.Mechanisms);
        Assert.True(await connection.ClosedByBrokerAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task SaslAuthenticate_WrongPassword_AnswersSaslAuthenticationFailedThenCloses()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        await HandshakeAsync(connection, "PLAIN", 1);
        var response = await AuthenticateAsync(connection, Plain("bob", "wrong"), 2);

        Assert.Equal((short)ErrorCode.SaslAuthenticationFailed, response.ErrorCode);
        Assert.Equal("Authentication failed: Invalid username or password", response.ErrorMessage);
        Assert.True(await connection.ClosedByBrokerAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task SaslAuthenticate_RightPassword_WithoutAReauthLimit_HasNoSessionLifetime()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        await HandshakeAsync(connection, "PLAIN", 1);
        var response = await AuthenticateAsync(connection, Plain("bob", SecuredBrokerFixture.BobPassword), 2);

        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.Equal(0, response.SessionLifetimeMs);
    }

    [Fact]
    public async Task OAuthBearer_ExpiredUnsecuredToken_GetsKafkasJsonErrorThenTheFailure()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        await HandshakeAsync(connection, "OAUTHBEARER", 1);
        var expired = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds();
        var challenge = await AuthenticateAsync(connection, OAuthBearer(UnsecuredToken($"{{\"sub\":\"alice\",\"exp\":{expired}}}")), 2);
        Assert.Equal((short)ErrorCode.None, challenge.ErrorCode);
        Assert.Equal("{\"status\":\"invalid_token\"}", Encoding.UTF8.GetString(challenge.AuthBytes.Span));

        var failure = await AuthenticateAsync(connection, [0x01], 2);
        Assert.Equal((short)ErrorCode.SaslAuthenticationFailed, failure.ErrorCode);
        Assert.Equal("{\"status\":\"invalid_token\"}", failure.ErrorMessage);
        Assert.True(await connection.ClosedByBrokerAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task OAuthBearer_ValidUnsecuredToken_SessionLastsUntilTheTokenExpires()
    {
        using var connection = await RawKafkaConnection.ConnectAsync(SaslPlaintext, Ct);
        await HandshakeAsync(connection, "OAUTHBEARER", 1);
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        var response = await AuthenticateAsync(connection, OAuthBearer(UnsecuredToken($"{{\"sub\":\"carol\",\"exp\":{exp}}}")), 2);

        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.InRange(response.SessionLifetimeMs, 500_000, 600_000);
    }

    internal static async Task<SaslHandshakeResponse> HandshakeAsync(RawKafkaConnection connection, string mechanism, short version)
    {
        var (frame, id) = connection.Frame(new SaslHandshakeRequest { Mechanism = mechanism }, version);
        await connection.SendAsync(Ct, frame);
        return await connection.ReceiveAsync<SaslHandshakeResponse>(id, version, Ct);
    }

    internal static async Task<SaslAuthenticateResponse> AuthenticateAsync(RawKafkaConnection connection, byte[] token, short version)
    {
        var (frame, id) = connection.Frame(new SaslAuthenticateRequest { AuthBytes = token }, version);
        await connection.SendAsync(Ct, frame);
        return await connection.ReceiveAsync<SaslAuthenticateResponse>(id, version, Ct);
    }

    internal static byte[] Plain(string user, string password) => Encoding.UTF8.GetBytes($"\0{user}\0{password}");

    private static byte[] OAuthBearer(string token) => Encoding.UTF8.GetBytes($"n,,\u0001auth=Bearer {token}\u0001\u0001");

    private static string UnsecuredToken(string claims) => $"{Base64Url("{\"alg\":\"none\"}")}.{Base64Url(claims)}.";

    private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] SizePrefixed(byte[] token)
    {
        var framed = new byte[token.Length + 4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed, token.Length);
        token.CopyTo(framed, 4);
        return framed;
    }
}
