using System.Security.Cryptography;
using ReactiveKafka.Broker;

namespace ReactiveKafka.Testing;

/// <summary>Turns <see cref="KafkaTestSecurity"/> into the bundled broker's listener, TLS and SASL options and the matching client settings.</summary>
internal static class TestBrokerSecurity
{
    /// <summary>The broker options with security applied, the certificates made for TLS (or null), and the client settings.</summary>
    /// <exception cref="ArgumentException">The security asks for nothing, or for an unknown mechanism.</exception>
    public static (BrokerOptions Options, KafkaTestCertificates? Certificates, IReadOnlyDictionary<string, string> Client) Apply(KafkaTestSecurity? security, BrokerOptions options)
    {
        if (security is null)
        {
            return (options, null, new Dictionary<string, string>());
        }

        var mechanism = security.SaslMechanism;
        if (!security.Tls && mechanism is null)
        {
            throw new ArgumentException("KafkaTestBrokerOptions.Security asks for neither TLS nor SASL; set Tls, SaslMechanism, or leave Security null.", "Security");
        }

        if (mechanism is not null && !BrokerSaslOptions.SupportedMechanisms.Contains(mechanism))
        {
            throw new ArgumentException($"KafkaTestSecurity.SaslMechanism '{mechanism}' is not one of {string.Join(", ", BrokerSaslOptions.SupportedMechanisms)}.", "Security");
        }

        var protocol = (security.Tls, mechanism is not null) switch
        {
            (true, true) => BrokerSecurityProtocol.SaslSsl,
            (true, false) => BrokerSecurityProtocol.Ssl,
            _ => BrokerSecurityProtocol.SaslPlaintext,
        };
        var client = new Dictionary<string, string> { ["security.protocol"] = protocol.KafkaName().ToLowerInvariant() };
        var secured = options with
        {
            Listeners = [new BrokerListener(protocol.KafkaName(), options.Listener, protocol)],
        };

        KafkaTestCertificates? certificates = null;
        if (security.Tls)
        {
            certificates = KafkaTestCertificates.Create();
            secured = secured with { Tls = new BrokerTlsOptions { Certificate = certificates.Server } };
            client["ssl.ca.pem"] = certificates.AuthorityPem;
        }

        if (mechanism is not null)
        {
            var users = security.Users ?? new Dictionary<string, string> { [KafkaTestSecurity.DefaultUser] = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)) };
            var user = security.ClientUser ?? users.Keys.First();
            secured = secured with
            {
                Sasl = (options.Sasl ?? new BrokerSaslOptions()) with { Mechanisms = BrokerSaslOptions.SupportedMechanisms, Users = users },
            };
            client["sasl.mechanism"] = mechanism;
            if (mechanism == BrokerSaslOptions.OAuthBearer)
            {
                client["enable.sasl.oauthbearer.unsecure.jwt"] = "true";
                client["sasl.oauthbearer.config"] = $"principal={user}";
            }
            else
            {
                if (!users.TryGetValue(user, out var password))
                {
                    certificates?.Dispose();
                    throw new ArgumentException($"KafkaTestSecurity.ClientUser '{user}' is not one of Users.", "Security");
                }

                client["sasl.username"] = user;
                client["sasl.password"] = password;
            }
        }

        return (secured, certificates, client);
    }
}
