using System.Security.Cryptography;
using System.Text;
using ReactiveKafka.Broker.Security;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Security;

/// <summary>
/// The SCRAM server against a SCRAM client written here from RFC 5802: a right password completes with the server's
/// signature, a wrong one fails with the generic message, and librdkafka's pre-2.1 client-final (its own nonce again
/// in front of the combined one) is accepted as Kafka accepts it.
/// </summary>
public sealed class ScramExchangeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RightPassword_Completes_AndTheServerSignatureVerifies(bool clientNonceRepeated)
    {
        var (server, clientFirstBare, serverFirst) = Start("alice", out var store);
        var (final, expectedSignature) = ClientFinal(ScramMechanism.Sha256, "pw", clientFirstBare, serverFirst, clientNonceRepeated);

        var answer = Encoding.UTF8.GetString(server.EvaluateResponse(Encoding.UTF8.GetBytes(final)));

        Assert.True(server.IsComplete);
        Assert.Equal("alice", server.AuthorizationId);
        Assert.Equal("v=" + expectedSignature, answer);
        Assert.NotNull(store.Find("alice", ScramMechanism.Sha256));
    }

    [Fact]
    public void WrongPassword_FailsWithTheGenericMessage()
    {
        var (server, clientFirstBare, serverFirst) = Start("alice", out _);
        var (final, _) = ClientFinal(ScramMechanism.Sha256, "not-pw", clientFirstBare, serverFirst, repeatNonce: false);

        var error = Assert.Throws<SaslAuthenticationException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes(final)));

        Assert.Null(error.ClientMessage);
        Assert.False(server.IsComplete);
    }

    private static (ScramSaslServer Server, string ClientFirstBare, string ServerFirst) Start(string user, out ScramCredentialStore store)
    {
        var directory = Directory.CreateTempSubdirectory("rk-scram-unit-").FullName;
        store = ScramCredentialStore.Open(directory);
        store.Apply([], [(user, ScramMechanism.Sha256.NewCredential("pw", 4096))]);
        var server = new ScramSaslServer(ScramMechanism.Sha256, store);
        var clientFirstBare = $"n={user},r=client-nonce-123";
        var serverFirst = Encoding.UTF8.GetString(server.EvaluateResponse(Encoding.UTF8.GetBytes("n,," + clientFirstBare)));
        Directory.Delete(directory, recursive: true);
        return (server, clientFirstBare, serverFirst);
    }

    private static (string Final, string ServerSignature) ClientFinal(ScramMechanism mechanism, string password, string clientFirstBare, string serverFirst, bool repeatNonce)
    {
        var attributes = serverFirst.Split(',').ToDictionary(p => p[..1], p => p[2..]);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(attributes["s"]), int.Parse(attributes["i"]), HashAlgorithmName.SHA256, 32);
        var nonce = repeatNonce ? "client-nonce-123" + attributes["r"] : attributes["r"];
        var withoutProof = $"c=biws,r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{clientFirstBare},{serverFirst},{withoutProof}");
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var signature = HMACSHA256.HashData(SHA256.HashData(clientKey), authMessage);
        var proof = clientKey.Zip(signature, (k, s) => (byte)(k ^ s)).ToArray();
        var serverSignature = HMACSHA256.HashData(HMACSHA256.HashData(salted, "Server Key"u8), authMessage);
        return ($"{withoutProof},p={Convert.ToBase64String(proof)}", Convert.ToBase64String(serverSignature));
    }
}
