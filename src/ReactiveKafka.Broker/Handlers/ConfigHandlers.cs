using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>Kafka's config resource types, as DescribeConfigs and AlterConfigs name them.</summary>
internal static class ConfigResourceType
{
    /// <summary>A topic.</summary>
    public const sbyte Topic = 2;

    /// <summary>A broker.</summary>
    public const sbyte Broker = 4;
}

/// <summary>
/// DescribeConfigs (key 32), versions 0–4: every supported topic config with its effective value
/// (set on the topic, or the broker default), or the broker's own settings. Synonyms and documentation
/// are not reported.
/// </summary>
internal sealed class DescribeConfigsHandler(BrokerContext broker) : RequestHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request)
    {
        var response = new DescribeConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            var wanted = resource.ConfigurationKeys is { Count: > 0 } keys ? new HashSet<string>(keys, StringComparer.Ordinal) : null;
            IEnumerable<(string Name, string Value, bool IsDefault, ConfigSource Source)> entries;
            switch (resource.ResourceType)
            {
                case ConfigResourceType.Topic:
                    var topic = broker.Topics.GetTopic(resource.ResourceName);
                    if (topic is null)
                    {
                        result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                        result.ErrorMessage = $"Topic '{resource.ResourceName}' does not exist.";
                        continue;
                    }

                    entries = topic.Config.ToTopicConfigs().Select(c =>
                    {
                        var set = topic.Configs.ContainsKey(c.Key);
                        return (c.Key, c.Value, !set, set ? ConfigSource.DynamicTopic : ConfigSource.Default);
                    });
                    break;
                case ConfigResourceType.Broker:
                    entries = BrokerConfigs().Select(c => (c.Key, c.Value, false, ConfigSource.StaticBroker));
                    break;
                default:
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    result.ErrorMessage = $"Resource type {resource.ResourceType} is not supported; only topics (2) and brokers (4) have configs here.";
                    continue;
            }

            foreach (var (name, value, isDefault, source) in entries)
            {
                if (wanted is null || wanted.Contains(name))
                {
                    result.Configs.Add(new DescribeConfigsResponse.DescribeConfigsResourceResult
                    {
                        Name = name,
                        Value = value,
                        IsDefault = isDefault,
                        ConfigSource = (sbyte)source,
                        ReadOnly = resource.ResourceType == ConfigResourceType.Broker,
                    });
                }
            }
        }

        return new(response);
    }

    private Dictionary<string, string> BrokerConfigs()
    {
        var o = broker.Options;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["broker.id"] = o.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["log.dirs"] = o.DataDirectory,
            ["auto.create.topics.enable"] = o.AutoCreateTopics ? "true" : "false",
            ["num.partitions"] = o.DefaultPartitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["socket.request.max.bytes"] = o.MaxRequestSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["message.max.bytes"] = o.MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["default.replication.factor"] = "1",
            ["offsets.topic.replication.factor"] = "1",
        };
    }
}

/// <summary>AlterConfigs (key 33), versions 0–2: replaces a topic's whole set of configs (unset ones revert to defaults).</summary>
internal sealed class AlterConfigsHandler(BrokerContext broker) : RequestHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request) =>
        new(new AlterConfigsResponse
        {
            Responses = request.Resources.Select(r =>
            {
                var repeated = r.Configs.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
                var result = r.ResourceType != ConfigResourceType.Topic
                    ? (ErrorCode.InvalidRequest, $"Only topic configs (resource type 2) can be altered, not type {r.ResourceType}.")
                    : repeated is not null
                    ? (ErrorCode.InvalidRequest, $"Config '{repeated}' is given more than once.")
                    : Alter(r.ResourceName, r.Configs.Where(c => c.Value is not null).ToDictionary(c => c.Name, c => c.Value!, StringComparer.Ordinal), request.ValidateOnly);
                return new AlterConfigsResponse.AlterConfigsResourceResponse
                {
                    ResourceType = r.ResourceType,
                    ResourceName = r.ResourceName,
                    ErrorCode = (short)result.Item1,
                    ErrorMessage = result.Item2,
                };
            }).ToList(),
        });

    private (ErrorCode, string?) Alter(string topic, Dictionary<string, string> configs, bool validateOnly)
    {
        var result = broker.Topics.AlterConfigs(topic, configs, validateOnly);
        return (result.Error, result.Message);
    }
}

/// <summary>
/// IncrementalAlterConfigs (key 44), versions 0–1: SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) on
/// single topic configs; list values are comma-separated.
/// </summary>
internal sealed class IncrementalAlterConfigsHandler(BrokerContext broker) : RequestHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request) =>
        new(new IncrementalAlterConfigsResponse
        {
            Responses = request.Resources.Select(r =>
            {
                var (error, message) = Apply(r, request.ValidateOnly);
                return new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
                {
                    ResourceType = r.ResourceType,
                    ResourceName = r.ResourceName,
                    ErrorCode = (short)error,
                    ErrorMessage = message,
                };
            }).ToList(),
        });

    private (ErrorCode, string?) Apply(IncrementalAlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        if (resource.ResourceType != ConfigResourceType.Topic)
        {
            return (ErrorCode.InvalidRequest, $"Only topic configs (resource type 2) can be altered, not type {resource.ResourceType}.");
        }

        var topic = broker.Topics.GetTopic(resource.ResourceName);
        if (topic is null)
        {
            return (ErrorCode.UnknownTopicOrPartition, $"Topic '{resource.ResourceName}' does not exist.");
        }

        var configs = new Dictionary<string, string>(topic.Configs, StringComparer.Ordinal);
        var effective = topic.Config.ToTopicConfigs();
        foreach (var change in resource.Configs)
        {
            var current = configs.TryGetValue(change.Name, out var set) ? set : effective.GetValueOrDefault(change.Name, "");
            var items = current.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
            switch (change.ConfigOperation)
            {
                case 0:
                    configs[change.Name] = change.Value ?? "";
                    break;
                case 1:
                    configs.Remove(change.Name);
                    break;
                case 2:
                    items.AddRange((change.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Where(v => !items.Contains(v)));
                    configs[change.Name] = string.Join(',', items);
                    break;
                case 3:
                    var removed = (change.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
                    configs[change.Name] = string.Join(',', items.Where(v => !removed.Contains(v)));
                    break;
                default:
                    return (ErrorCode.InvalidRequest, $"Unknown config operation {change.ConfigOperation} for '{change.Name}'.");
            }
        }

        var result = broker.Topics.AlterConfigs(resource.ResourceName, configs, validateOnly);
        return (result.Error, result.Message);
    }
}
