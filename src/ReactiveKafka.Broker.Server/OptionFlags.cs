namespace ReactiveKafka.Broker.Server;

/// <summary>
/// The server flags behind a <see cref="BrokerOptions"/> property: broker validation names the property (for embedded
/// users, e.g. <c>Tls.KeyPemPath</c>), and the server's start error adds the flags a command-line user sets instead.
/// </summary>
internal static class OptionFlags
{
    /// <summary>The flags that set the option an <see cref="ArgumentException.ParamName"/> names, or null when unknown.</summary>
    public static string? For(string? option) => option switch
    {
        "Sasl" or "Sasl.Users" => "--sasl-users / --sasl-users-file",
        "Sasl.Mechanisms" => "--sasl-mechanisms",
        "Sasl.ConnectionsMaxReauth" => "--connections-max-reauth-ms",
        "Tls" or "Certificate" => "--ssl-cert with --ssl-key, or --ssl-pkcs12",
        "Tls.CertificatePemPath" or "CertificatePemPath" => "--ssl-cert",
        "Tls.KeyPemPath" or "KeyPemPath" => "--ssl-key (--ssl-key-password if encrypted)",
        "Tls.Pkcs12Path" or "Pkcs12Path" => "--ssl-pkcs12 (--ssl-key-password)",
        "Tls.TrustedCaPemPath" or "TrustedCaPemPath" => "--ssl-ca",
        "Tls.ClientAuthentication" => "--ssl-client-auth with --ssl-ca",
        "Tls.Protocols" => "--ssl-protocols",
        "Listeners" or "listeners" => "--listeners",
        "advertisedListeners" => "--advertised-listeners",
        "securityProtocolMap" => "--listener-security-protocol-map",
        "DataDirectory" => "--data-dir",
        "Listener" => "--listen",
        "AdvertisedListener" => "--advertised",
        "NodeId" => "--node-id",
        "DefaultPartitions" => "--partitions",
        "SegmentBytes" => "--segment-bytes",
        "Retention" => "--retention-ms",
        "RetentionBytes" => "--retention-bytes",
        "CleanerDedupeBufferSize" => "--cleaner-dedupe-buffer-bytes",
        "CleanerIoMaxBytesPerSecond" => "--cleaner-io-max-bytes-per-second",
        "CleanerBackoff" => "--cleaner-backoff-ms",
        "ProducerIdExpiration" => "--producer-id-expiration-ms",
        "FlushPolicy" => "--flush",
        "FlushInterval" => "--flush-interval-ms",
        "MaxRequestSize" => "--max-request-bytes",
        "MaxMessageBytes" => "--max-message-bytes",
        "MaxConnections" => "--max-connections",
        "MaxConnectionsPerIp" => "--max-connections-per-ip",
        "MaxConnectionsPerIpOverrides" => "--max-connections-per-ip-overrides",
        "ConnectionsMaxIdle" => "--connections-max-idle-ms",
        "PartialRequestTimeout" => "--partial-request-timeout-ms",
        "GroupInitialRebalanceDelay" => "--group-initial-rebalance-delay-ms",
        "TransactionMaxTimeout" => "--transaction-max-timeout-ms",
        "TransactionAbortTimedOutInterval" => "--transaction-abort-timed-out-interval-ms",
        "TransactionalIdExpiration" => "--transactional-id-expiration-ms",
        "TransactionRemoveExpiredInterval" => "--transaction-remove-expired-interval-ms",
        _ => null,
    };
}
