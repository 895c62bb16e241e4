using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using System.Globalization;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>Kafka's config resource types (<c>ConfigResource.Type</c> ids), as the config APIs name them.</summary>
internal static class ConfigResourceType
{
    /// <summary>A topic.</summary>
    public const sbyte Topic = 2;

    /// <summary>A broker (by node id), or every broker (the empty name).</summary>
    public const sbyte Broker = 4;

    /// <summary>A broker's log4j loggers.</summary>
    public const sbyte BrokerLogger = 8;
}

/// <summary>
/// The checks the config APIs share, with Kafka's errors and messages (<c>ConfigAdminManager</c>,
/// <c>ConfigHelper</c>, the controller's <c>ConfigurationControlManager</c>). Stateless.
/// </summary>
internal static class ConfigResources
{
    /// <summary>A failed check: the error code and Kafka's message.</summary>
    public readonly record struct Problem(ErrorCode Error, string? Message);

    /// <summary>Indexes of resources that appear more than once (all of them are refused, as Kafka does).</summary>
    public static HashSet<int> Repeated<T>(IReadOnlyList<T> resources, Func<T, (sbyte, string)> key)
    {
        var repeated = new HashSet<int>();
        foreach (var group in resources.Select((r, i) => (Key: key(r), Index: i)).GroupBy(x => x.Key).Where(g => g.Count() > 1))
        {
            repeated.UnionWith(group.Select(x => x.Index));
        }

        return repeated;
    }

    /// <summary>Every resource must appear at most once in an alter request.</summary>
    public static Problem RepeatedResource => new(ErrorCode.InvalidRequest, "Each resource must appear at most once.");

    /// <summary>Duplicate keys and null values (null allowed only where an entry says so), as Kafka's preprocessing checks them.</summary>
    public static Problem? CheckEntries(IReadOnlyList<(string Name, string? Value, bool NullAllowed)> entries)
    {
        if (entries.GroupBy(e => e.Name, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            return new(ErrorCode.InvalidRequest, "Error due to duplicate config keys");
        }

        var nulls = entries.Where(e => e.Value is null && !e.NullAllowed).Select(e => e.Name).ToList();
        return nulls.Count > 0 ? new(ErrorCode.InvalidRequest, "Null value not supported for : " + string.Join(", ", nulls)) : null;
    }

    /// <summary>
    /// A broker resource name for an alteration: empty (every broker) or this broker's node id. Nothing can be
    /// altered at run time here, so a valid name is refused too, naming the configs.
    /// </summary>
    public static Problem AlterBroker(BrokerContext broker, string name, IEnumerable<string> configNames)
    {
        if (name.Length > 0)
        {
            if (!int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
            {
                return new(ErrorCode.InvalidRequest, $"Node id must be an integer, but it is: {name}");
            }

            if (id != broker.Options.NodeId)
            {
                return new(ErrorCode.InvalidRequest, $"Unexpected broker id, expected {broker.Options.NodeId}, but received {name}");
            }
        }

        return new(ErrorCode.InvalidRequest,
            $"Cannot update these configs dynamically: {string.Join(", ", configNames)}. This broker has no dynamic configs; set them in its options or command line.");
    }

    /// <summary>
    /// Validates and applies a topic's new explicit configs in Kafka's order: the topic name, then the configs
    /// (INVALID_CONFIG with Kafka's message), then that the topic exists; nothing changes with <paramref name="validateOnly"/>.
    /// </summary>
    public static Problem? AlterTopic(BrokerContext broker, string topic, IReadOnlyDictionary<string, string> configs, bool validateOnly)
    {
        if (TopicNames.Validate(topic) is { } invalid)
        {
            return new(ErrorCode.InvalidTopicException, invalid);
        }

        if (LogConfig.FromTopicConfigs(configs, broker.Topics.DefaultConfig, out _) is { } configError)
        {
            return new(ErrorCode.InvalidConfig, configError);
        }

        if (broker.Topics.GetTopic(topic) is null)
        {
            return NoSuchTopic(topic);
        }

        var result = broker.Topics.AlterConfigs(topic, configs, validateOnly);
        return result.Error == ErrorCode.None ? null
            : result.Error == ErrorCode.UnknownTopicOrPartition ? NoSuchTopic(topic)
            : new(result.Error, result.Message ?? result.Error.ToString());
    }

    private static Problem NoSuchTopic(string topic) => new(ErrorCode.UnknownTopicOrPartition, $"The topic '{topic}' does not exist.");
}

/// <summary>The ACL check of a config resource, as Kafka's <c>ConfigHelper</c> and <c>KafkaApis</c> do it.</summary>
internal static class ConfigResourceAcls
{
    /// <summary>
    /// The authorization error for <paramref name="operation"/> (DESCRIBE_CONFIGS or ALTER_CONFIGS) on a config resource,
    /// or null when allowed: topics are checked on the topic (TOPIC_AUTHORIZATION_FAILED), broker and broker-logger
    /// resources on the cluster (CLUSTER_AUTHORIZATION_FAILED). Other types are left to the handler (INVALID_REQUEST).
    /// </summary>
    public static ErrorCode? Refusal(BrokerContext broker, RequestContext context, AclOperation operation, sbyte resourceType, string name) => resourceType switch
    {
        ConfigResourceType.Topic => broker.Authorizer.Allows(context, operation, AclResourceType.Topic, name) ? null : ErrorCode.TopicAuthorizationFailed,
        ConfigResourceType.Broker or ConfigResourceType.BrokerLogger => broker.Authorizer.AllowsCluster(context, operation) ? null : ErrorCode.ClusterAuthorizationFailed,
        _ => null,
    };
}
