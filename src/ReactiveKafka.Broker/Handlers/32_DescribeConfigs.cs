using ReactiveKafka.Broker.Security.Acls;
using System.Globalization;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;
using Entry = ReactiveKafka.Protocol.Messages.DescribeConfigsResponse.DescribeConfigsResourceResult;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// DescribeConfigs (key 32), answered as Kafka's <c>ConfigHelper</c> answers: for a topic every
/// topic config (or the named ones) with its effective value and source — set on the topic, a static broker config
/// (this broker's options), or Kafka's default — with synonyms (v1+, when asked), type (v3+) and documentation (v3+,
/// when asked); for broker <c>"&lt;node id&gt;"</c> the broker's configs under Kafka's names; for broker <c>""</c> the
/// dynamic cluster defaults (none here). Errors as Kafka: UNKNOWN_TOPIC_OR_PARTITION (no message), INVALID_TOPIC_EXCEPTION,
/// INVALID_REQUEST for another broker id or a resource type without configs here; error_message is null on success.
/// </summary>
internal sealed class DescribeConfigsHandler(BrokerContext broker) : RequestHandler<DescribeConfigsRequest, DescribeConfigsResponse>(minVersion: 0, maxVersion: 4)
{
    /// <inheritdoc />
    protected override ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request)
    {
        var response = new DescribeConfigsResponse();
        var brokerConfigs = new BrokerConfigs(broker.Options, broker.Topics.DefaultConfig);
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorMessage = null,
            };
            response.Results.Add(result);
            if (ConfigResourceAcls.Refusal(broker, context, AclOperation.DescribeConfigs, resource.ResourceType, resource.ResourceName) is { } refused)
            {
                result.ErrorCode = (short)refused;
                continue;
            }

            var entries = resource.ResourceType switch
            {
                ConfigResourceType.Topic => DescribeTopic(resource.ResourceName, brokerConfigs, request, result),
                ConfigResourceType.Broker or ConfigResourceType.BrokerLogger => DescribeBroker(resource, brokerConfigs, request, result),
                _ => Fail(result, ErrorCode.InvalidRequest, $"Unsupported resource type: {resource.ResourceType}; this broker has topic and broker configs."),
            };
            var wanted = resource.ConfigurationKeys is { Count: > 0 } keys ? new HashSet<string>(keys, StringComparer.Ordinal) : null;
            result.Configs = [.. entries.Where(e => wanted is null || wanted.Contains(e.Name))];
        }

        return new(response);
    }

    private IEnumerable<Entry> DescribeTopic(string name, BrokerConfigs brokerConfigs, DescribeConfigsRequest request, DescribeConfigsResponse.DescribeConfigsResult result)
    {
        if (TopicNames.Validate(name) is { } invalid)
        {
            return Fail(result, ErrorCode.InvalidTopicException, invalid);
        }

        if (broker.Topics.GetTopic(name) is not { } topic)
        {
            return Fail(result, ErrorCode.UnknownTopicOrPartition, null);
        }

        return TopicEntries(topic, brokerConfigs).Select(e => Describe(e.Name, e.Value, e.Synonyms, TopicConfigDefinitions.TypeOf(e.Name),
            readOnly: false, TopicConfigDefinitions.DocumentationOf(e.Name), request));
    }

    /// <summary>
    /// Every config of <paramref name="topic"/> with its value and its sources, highest first (Kafka's
    /// <c>createTopicConfigEntry</c>): the topic's own value when set on it, then the broker config behind it.
    /// </summary>
    internal static IEnumerable<(string Name, string Value, List<ConfigSynonym> Synonyms)> TopicEntries(TopicInfo topic, BrokerConfigs brokerConfigs) =>
        topic.Config.ToTopicConfigs().Select(config =>
        {
            var synonyms = TopicConfigDefinitions.BrokerSynonymOf(config.Key) is { } brokerName ? brokerConfigs.SynonymsOf(brokerName) : [];
            if (topic.Configs.ContainsKey(config.Key))
            {
                synonyms.Insert(0, new ConfigSynonym(config.Key, config.Value, ConfigSource.DynamicTopic));
            }

            return (config.Key, config.Value, synonyms);
        });

    private IEnumerable<Entry> DescribeBroker(DescribeConfigsRequest.DescribeConfigsResource resource, BrokerConfigs brokerConfigs,
        DescribeConfigsRequest request, DescribeConfigsResponse.DescribeConfigsResult result)
    {
        var name = resource.ResourceName;
        var loggers = resource.ResourceType == ConfigResourceType.BrokerLogger;
        if (name.Length == 0)
        {
            // The cluster-wide dynamic defaults: none can be set here.
            return loggers ? Fail(result, ErrorCode.InvalidRequest, "Broker id must not be empty") : [];
        }

        if (!int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
        {
            return Fail(result, ErrorCode.InvalidRequest, $"Broker id must be an integer, but it is: {name}");
        }

        if (id != broker.Options.NodeId)
        {
            return Fail(result, ErrorCode.InvalidRequest, loggers
                ? $"Unexpected broker id, expected {broker.Options.NodeId} but received {name}"
                : $"Unexpected broker id, expected {broker.Options.NodeId} or empty string, but received {name}");
        }

        if (loggers)
        {
            return []; // No log4j loggers to list: the broker logs through Microsoft.Extensions.Logging.
        }

        // Nothing is dynamic here, so every broker config is read-only (Kafka marks only its static ones so).
        return BrokerConfigs.Names.Select(n => Describe(n, brokerConfigs.ValueOf(n), brokerConfigs.SynonymsOf(n), BrokerConfigs.TypeOf(n),
            readOnly: true, BrokerConfigs.DocumentationOf(n), request));
    }

    private static Entry Describe(string name, string? value, List<ConfigSynonym> synonyms, ConfigType type, bool readOnly, string? documentation,
        DescribeConfigsRequest request)
    {
        var source = synonyms.Count > 0 ? synonyms[0].Source : ConfigSource.Default;
        return new Entry
        {
            Name = name,
            Value = value,
            ReadOnly = readOnly,
            IsDefault = source == ConfigSource.Default,
            ConfigSource = (sbyte)source,
            IsSensitive = false,
            Synonyms = request.IncludeSynonyms
                ? [.. synonyms.Select(s => new DescribeConfigsResponse.DescribeConfigsSynonym { Name = s.Name, Value = s.Value, Source = (sbyte)s.Source })]
                : [],
            ConfigType = (sbyte)type,
            Documentation = request.IncludeDocumentation ? documentation : null,
        };
    }

    private static Entry[] Fail(DescribeConfigsResponse.DescribeConfigsResult result, ErrorCode error, string? message)
    {
        result.ErrorCode = (short)error;
        result.ErrorMessage = message;
        return [];
    }
}
