using System.Text.RegularExpressions;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// The checks of <see cref="BrokerOptions.Listeners"/>, <see cref="BrokerOptions.Tls"/> and <see cref="BrokerOptions.Sasl"/>
/// that <see cref="BrokerOptions.Validate"/> runs: every bad combination fails the start with a message naming the option.
/// Loading the certificate (a key that does not match it) is checked at start, by <see cref="ServerTls.Load"/>.
/// </summary>
internal static partial class SecurityValidation
{
    /// <summary>Checks the listener list: names, addresses, advertised addresses, no name or port twice.</summary>
    public static void ValidateListeners(IReadOnlyList<BrokerListener> listeners)
    {
        const string Option = nameof(BrokerOptions.Listeners);
        if (listeners.Count == 0)
        {
            throw BrokerOptions.Invalid(Option, "must hold at least one listener (or be null for the single Listener).");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var ports = new Dictionary<int, string>();
        foreach (var listener in listeners)
        {
            if (listener is null || string.IsNullOrEmpty(listener.Name) || !NamePattern().IsMatch(listener.Name))
            {
                throw BrokerOptions.Invalid(Option, $"listener name '{listener?.Name}' is not letters, digits, '_' and '-'.");
            }

            if (!names.Add(listener.Name))
            {
                throw BrokerOptions.Invalid(Option, $"name listener {listener.Name} twice; each listener needs its own name.");
            }

            if (!Enum.IsDefined(listener.SecurityProtocol))
            {
                throw BrokerOptions.Invalid(Option, $"listener {listener.Name} has an unknown security protocol {listener.SecurityProtocol}.");
            }

            if (!BrokerOptions.TryParseEndpoint(listener.Address ?? "", out var endpoint))
            {
                throw BrokerOptions.Invalid(Option, $"listener {listener.Name}: '{listener.Address}' is not a host:port with an IP address (or localhost) and a port from 0 to 65535.");
            }

            if (endpoint.Port != 0 && !ports.TryAdd(endpoint.Port, listener.Name))
            {
                throw BrokerOptions.Invalid(Option, $"listeners {ports[endpoint.Port]} and {listener.Name} both use port {endpoint.Port}; each listener needs its own port.");
            }

            if (listener.AdvertisedAddress is { } advertised && (!BrokerOptions.TryParseHostPort(advertised, out _, out var advertisedPort) || advertisedPort == 0))
            {
                throw BrokerOptions.Invalid(Option, $"listener {listener.Name}: advertised address '{advertised}' is not a host:port with a port from 1 to 65535.");
            }
        }
    }

    /// <summary>Checks that TLS and SASL are configured where the listeners need them, and that what is configured is usable.</summary>
    public static void ValidateSecurity(BrokerOptions options)
    {
        var listeners = options.EffectiveListeners();
        if (listeners.FirstOrDefault(l => l.SecurityProtocol.UsesTls()) is { } tlsListener)
        {
            ValidateTls(options.Tls, tlsListener);
        }

        if (options.Tls is { } tls && !Enum.IsDefined(tls.ClientAuthentication))
        {
            throw BrokerOptions.Invalid("Tls.ClientAuthentication", $"'{tls.ClientAuthentication}' is not None, Requested or Required.");
        }

        var saslListener = listeners.FirstOrDefault(l => l.SecurityProtocol.UsesSasl());
        if (options.Sasl is { } sasl)
        {
            ValidateSasl(sasl, saslListener);
        }
        else if (saslListener is not null)
        {
            throw BrokerOptions.Invalid(nameof(BrokerOptions.Sasl),
                $"is required: listener {saslListener.Name} is {saslListener.SecurityProtocol.KafkaName()}, so clients must log in; set Sasl with Users (or the OAUTHBEARER mechanism).");
        }
    }

    private static void ValidateTls(BrokerTlsOptions? tls, BrokerListener listener)
    {
        var needs = $"listener {listener.Name} is {listener.SecurityProtocol.KafkaName()}";
        if (tls is null)
        {
            throw BrokerOptions.Invalid(nameof(BrokerOptions.Tls), $"is required: {needs}; give the broker a certificate and key (CertificatePemPath and KeyPemPath, Pkcs12Path, or Certificate).");
        }

        var sources = (tls.Certificate is not null ? 1 : 0) + (tls.Pkcs12Path is not null ? 1 : 0) + (tls.CertificatePemPath is not null || tls.KeyPemPath is not null ? 1 : 0);
        if (sources == 0)
        {
            throw BrokerOptions.Invalid("Tls.CertificatePemPath", $"is required ({needs}): set CertificatePemPath and KeyPemPath, Pkcs12Path, or Certificate.");
        }

        if (sources > 1)
        {
            throw BrokerOptions.Invalid(nameof(BrokerOptions.Tls), "must give the certificate one way: CertificatePemPath with KeyPemPath, Pkcs12Path, or Certificate, not several.");
        }

        if ((tls.CertificatePemPath is null) != (tls.KeyPemPath is null))
        {
            throw BrokerOptions.Invalid(tls.CertificatePemPath is null ? "Tls.CertificatePemPath" : "Tls.KeyPemPath", "is required with the other: the PEM certificate and its key go together.");
        }

        foreach (var (option, path) in new[] { ("Tls.CertificatePemPath", tls.CertificatePemPath), ("Tls.KeyPemPath", tls.KeyPemPath), ("Tls.Pkcs12Path", tls.Pkcs12Path), ("Tls.TrustedCaPemPath", tls.TrustedCaPemPath) })
        {
            if (path is not null && !File.Exists(path))
            {
                throw BrokerOptions.Invalid(option, $"'{path}' does not exist.");
            }
        }

        if ((tls.Protocols & ~(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)) != 0 || tls.Protocols == System.Security.Authentication.SslProtocols.None)
        {
            throw BrokerOptions.Invalid("Tls.Protocols", $"must be TLS 1.2 and/or TLS 1.3, was {tls.Protocols}.");
        }

        if (tls.ClientAuthentication != BrokerClientAuthentication.None && tls.TrustedCaPemPath is null && tls.TrustedCaCertificates is not { Count: > 0 })
        {
            throw BrokerOptions.Invalid("Tls.ClientAuthentication", $"is {tls.ClientAuthentication}, which needs the CA that client certificates chain to: set TrustedCaPemPath or TrustedCaCertificates.");
        }

        if (tls.HandshakeTimeout <= TimeSpan.Zero)
        {
            throw BrokerOptions.Invalid("Tls.HandshakeTimeout", $"must be positive, was {tls.HandshakeTimeout}.");
        }
    }

    private static void ValidateSasl(BrokerSaslOptions sasl, BrokerListener? listener)
    {
        if (sasl.Mechanisms is not { Count: > 0 })
        {
            throw BrokerOptions.Invalid("Sasl.Mechanisms", $"must enable at least one of {string.Join(", ", BrokerSaslOptions.SupportedMechanisms)}.");
        }

        foreach (var mechanism in sasl.Mechanisms)
        {
            if (!BrokerSaslOptions.SupportedMechanisms.Contains(mechanism, StringComparer.Ordinal))
            {
                throw BrokerOptions.Invalid("Sasl.Mechanisms", $"'{mechanism}' is not served; the mechanisms are {string.Join(", ", BrokerSaslOptions.SupportedMechanisms)} (GSSAPI/Kerberos is not).");
            }
        }

        var needsUsers = sasl.Mechanisms.Any(m => m != BrokerSaslOptions.OAuthBearer);
        if (listener is not null && needsUsers && sasl.Users is not { Count: > 0 })
        {
            throw BrokerOptions.Invalid("Sasl.Users",
                $"is required: listener {listener.Name} is {listener.SecurityProtocol.KafkaName()} with {string.Join(", ", sasl.Mechanisms.Where(m => m != BrokerSaslOptions.OAuthBearer))}, and nobody could log in. Add users (name and password), or enable only OAUTHBEARER.");
        }

        foreach (var (user, password) in sasl.Users ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(user) || user.Contains('\0'))
            {
                throw BrokerOptions.Invalid("Sasl.Users", "has an empty user name (or one with a NUL character).");
            }

            if (string.IsNullOrEmpty(password))
            {
                throw BrokerOptions.Invalid("Sasl.Users", $"user '{user}' has an empty password.");
            }
        }

        if (sasl.ScramIterations is < ScramMechanism.MinIterations or > ScramMechanism.MaxIterations)
        {
            throw BrokerOptions.Invalid("Sasl.ScramIterations", $"must be from {ScramMechanism.MinIterations} to {ScramMechanism.MaxIterations}, as Kafka, was {sasl.ScramIterations}.");
        }

        if (sasl.ConnectionsMaxReauth is { } reauth && reauth <= TimeSpan.Zero)
        {
            throw BrokerOptions.Invalid("Sasl.ConnectionsMaxReauth", $"must be positive or null (no limit), was {reauth}.");
        }

        if (sasl.MaxReceiveSize < 1024)
        {
            throw BrokerOptions.Invalid("Sasl.MaxReceiveSize", $"must be at least 1024 bytes, was {sasl.MaxReceiveSize}.");
        }

        if (sasl.OAuthBearerAllowableClockSkew < TimeSpan.Zero)
        {
            throw BrokerOptions.Invalid("Sasl.OAuthBearerAllowableClockSkew", $"must not be negative, was {sasl.OAuthBearerAllowableClockSkew}.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex NamePattern();
}
