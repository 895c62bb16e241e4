using System.Security.Cryptography;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// One SCRAM mechanism's hash (RFC 5802): Hi (PBKDF2), HMAC and H, and the keys derived from a salted password.
/// Stateless; the two instances are <see cref="Sha256"/> and <see cref="Sha512"/>.
/// </summary>
internal sealed class ScramMechanism
{
    /// <summary>Kafka's bounds on the iteration count (ScramMechanism.minIterations, AlterUserScramCredentials' maximum).</summary>
    public const int MinIterations = 4096;

    /// <summary>The largest iteration count AlterUserScramCredentials accepts, as Kafka.</summary>
    public const int MaxIterations = 16384;

    private ScramMechanism(string name, byte type, HashAlgorithmName hash, int hashSize)
    {
        Name = name;
        Type = type;
        Hash = hash;
        HashSize = hashSize;
    }

    /// <summary>SCRAM-SHA-256 (Kafka's mechanism type 1).</summary>
    public static ScramMechanism Sha256 { get; } = new(BrokerSaslOptions.ScramSha256, 1, HashAlgorithmName.SHA256, 32);

    /// <summary>SCRAM-SHA-512 (Kafka's mechanism type 2).</summary>
    public static ScramMechanism Sha512 { get; } = new(BrokerSaslOptions.ScramSha512, 2, HashAlgorithmName.SHA512, 64);

    /// <summary>Both mechanisms.</summary>
    public static IReadOnlyList<ScramMechanism> All { get; } = [Sha256, Sha512];

    /// <summary>The SASL mechanism name.</summary>
    public string Name { get; }

    /// <summary>The mechanism's number in DescribeUserScramCredentials / AlterUserScramCredentials.</summary>
    public byte Type { get; }

    /// <summary>The hash.</summary>
    public HashAlgorithmName Hash { get; }

    /// <summary>The hash's size in bytes.</summary>
    public int HashSize { get; }

    /// <summary>The mechanism of a SASL name, or null.</summary>
    public static ScramMechanism? ByName(string? name) => All.FirstOrDefault(m => m.Name == name);

    /// <summary>The mechanism of a protocol type number, or null.</summary>
    public static ScramMechanism? ByType(int type) => All.FirstOrDefault(m => m.Type == type);

    /// <summary>SaltedPassword := Hi(Normalize(password), salt, i).</summary>
    public byte[] SaltPassword(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(System.Text.Encoding.UTF8.GetBytes(password), salt, iterations, Hash, HashSize);

    /// <summary>HMAC(key, data).</summary>
    public byte[] Hmac(byte[] key, ReadOnlySpan<byte> data) => Hash.Name switch
    {
        "SHA256" => HMACSHA256.HashData(key, data),
        _ => HMACSHA512.HashData(key, data),
    };

    /// <summary>H(data).</summary>
    public byte[] H(ReadOnlySpan<byte> data) => Hash.Name switch
    {
        "SHA256" => SHA256.HashData(data),
        _ => SHA512.HashData(data),
    };

    /// <summary>The stored credential of a salted password: StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key").</summary>
    public ScramCredential Credential(byte[] saltedPassword, byte[] salt, int iterations) => new(
        this,
        salt,
        H(Hmac(saltedPassword, "Client Key"u8)),
        Hmac(saltedPassword, "Server Key"u8),
        iterations);

    /// <summary>A new credential for <paramref name="password"/> with a random salt.</summary>
    public ScramCredential NewCredential(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(32);
        return Credential(SaltPassword(password, salt, iterations), salt, iterations);
    }

    /// <summary>Whether <paramref name="password"/> is the one <paramref name="credential"/> was made from (PLAIN logins).</summary>
    public bool Verifies(ScramCredential credential, string password)
    {
        var salted = SaltPassword(password, credential.Salt, credential.Iterations);
        return CryptographicOperations.FixedTimeEquals(H(Hmac(salted, "Client Key"u8)), credential.StoredKey);
    }
}

/// <summary>A user's stored SCRAM credential: what verifies a login, never the password.</summary>
/// <param name="Mechanism">The mechanism.</param>
/// <param name="Salt">The salt.</param>
/// <param name="StoredKey">H(ClientKey).</param>
/// <param name="ServerKey">HMAC(SaltedPassword, "Server Key").</param>
/// <param name="Iterations">The iteration count.</param>
internal sealed record ScramCredential(ScramMechanism Mechanism, byte[] Salt, byte[] StoredKey, byte[] ServerKey, int Iterations);
