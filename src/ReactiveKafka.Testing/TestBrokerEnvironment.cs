namespace ReactiveKafka.Testing;

/// <summary>
/// Reads the broker kind from <c>REACTIVEKAFKA_TEST_BROKER</c>: <c>bundled</c>, <c>container</c>, or
/// <c>external:host:port[,host:port]</c>. Unset or empty means bundled.
/// </summary>
public static class TestBrokerEnvironment
{
    /// <summary>The environment variable's name.</summary>
    public const string VariableName = "REACTIVEKAFKA_TEST_BROKER";

    private const string AcceptedForms = "'bundled', 'container', or 'external:host:port[,host:port...]'";

    /// <summary>The kind (and, for external, the bootstrap servers) the variable asks for.</summary>
    public static (KafkaTestBrokerKind Kind, string? BootstrapServers) Read() => Parse(Environment.GetEnvironmentVariable(VariableName));

    /// <summary>Parses a value of the variable; throws <see cref="ArgumentException"/> naming the variable and the accepted forms.</summary>
    public static (KafkaTestBrokerKind Kind, string? BootstrapServers) Parse(string? value)
    {
        var trimmed = value?.Trim() ?? "";
        if (trimmed.Length == 0 || trimmed.Equals("bundled", StringComparison.OrdinalIgnoreCase))
        {
            return (KafkaTestBrokerKind.Bundled, null);
        }

        if (trimmed.Equals("container", StringComparison.OrdinalIgnoreCase))
        {
            return (KafkaTestBrokerKind.Container, null);
        }

        const string externalPrefix = "external:";
        if (!trimmed.StartsWith(externalPrefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"{VariableName}='{value}' is not understood; accepted forms are {AcceptedForms}.", VariableName);
        }

        var servers = trimmed[externalPrefix.Length..];
        foreach (var server in servers.Split(','))
        {
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            {
                throw new ArgumentException(
                    $"{VariableName}='{value}': '{server}' is not a host:port address; accepted forms are {AcceptedForms}.", VariableName);
            }
        }

        return (KafkaTestBrokerKind.External, servers);
    }
}
