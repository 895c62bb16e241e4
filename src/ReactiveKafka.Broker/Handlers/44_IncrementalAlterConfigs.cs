using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Storage;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// IncrementalAlterConfigs (key 44): SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) on single topic
/// configs, as Kafka's controller applies them (<c>ConfigurationControlManager</c>): APPEND and SUBTRACT only on list
/// configs (INVALID_CONFIG "Can't APPEND to key ... because its type is not LIST."), starting from the topic's own value
/// or Kafka's default; the resulting set is validated like AlterConfigs (unknown names and bad values INVALID_CONFIG,
/// then UNKNOWN_TOPIC_OR_PARTITION). A resource named twice, duplicate keys, a null value for anything but DELETE or an
/// unknown operation are INVALID_REQUEST. validate_only changes nothing.
/// </summary>
internal sealed class IncrementalAlterConfigsHandler(BrokerContext broker) : RequestHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(minVersion: 0, maxVersion: 1)
{
    private const sbyte Set = 0;
    private const sbyte Delete = 1;
    private const sbyte Append = 2;
    private const sbyte Subtract = 3;

    /// <inheritdoc />
    protected override ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request)
    {
        var repeated = ConfigResources.Repeated(request.Resources, r => (r.ResourceType, r.ResourceName));
        return new(new IncrementalAlterConfigsResponse
        {
            Responses = [.. request.Resources.Select((r, i) =>
            {
                var problem = repeated.Contains(i) ? ConfigResources.RepeatedResource
                    : ConfigResourceAcls.Refusal(broker, context, AclOperation.AlterConfigs, r.ResourceType, r.ResourceName) is { } refused ? new ConfigResources.Problem(refused, null)
                    : Apply(r, request.ValidateOnly);
                return new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
                {
                    ResourceType = r.ResourceType,
                    ResourceName = r.ResourceName,
                    ErrorCode = (short)(problem?.Error ?? ErrorCode.None),
                    ErrorMessage = problem?.Message,
                };
            })],
        });
    }

    private ConfigResources.Problem? Apply(IncrementalAlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        if (ConfigResources.CheckEntries([.. resource.Configs.Select(c => (c.Name, c.Value, NullAllowed: c.ConfigOperation == Delete))]) is { } invalid)
        {
            return invalid;
        }

        if (resource.Configs.FirstOrDefault(c => c.ConfigOperation is < Set or > Subtract) is { } unknown)
        {
            return new(ErrorCode.InvalidRequest, $"Unknown operations type {unknown.ConfigOperation}");
        }

        return resource.ResourceType switch
        {
            ConfigResourceType.Topic => ApplyToTopic(resource, validateOnly),
            ConfigResourceType.Broker => ConfigResources.AlterBroker(broker, resource.ResourceName, resource.Configs.Select(c => c.Name)),
            _ => new(ErrorCode.InvalidRequest, $"Unknown resource type {resource.ResourceType}"),
        };
    }

    private ConfigResources.Problem? ApplyToTopic(IncrementalAlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        var current = broker.Topics.GetTopic(resource.ResourceName)?.Configs ?? new Dictionary<string, string>();
        var configs = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var change in resource.Configs)
        {
            var key = change.Name;
            switch (change.ConfigOperation)
            {
                case Set:
                    configs[key] = change.Value!;
                    break;
                case Delete:
                    configs.Remove(key);
                    break;
                default:
                    var append = change.ConfigOperation == Append;
                    if (TopicConfigDefinitions.TypeOf(key) != ConfigType.List)
                    {
                        return new(ErrorCode.InvalidConfig, $"Can't {(append ? "APPEND" : "SUBTRACT")} to key {key} because its type is not LIST.");
                    }

                    var items = (configs.TryGetValue(key, out var set) ? set : TopicConfigDefinitions.KafkaDefaultOf(key) ?? "")
                        .Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
                    foreach (var item in change.Value!.Split(','))
                    {
                        if (!append)
                        {
                            items.Remove(item);
                        }
                        else if (!items.Contains(item))
                        {
                            items.Add(item);
                        }
                    }

                    configs[key] = string.Join(',', items);
                    break;
            }
        }

        return ConfigResources.AlterTopic(broker, resource.ResourceName, configs, validateOnly);
    }
}
