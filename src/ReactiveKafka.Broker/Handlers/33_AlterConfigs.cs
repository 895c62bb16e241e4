using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// AlterConfigs (key 33): replaces a topic's whole set of configs (unset ones revert to the broker
/// defaults). Checks and errors as Kafka's: a resource named twice, duplicate keys or null values are
/// INVALID_REQUEST; unknown names and bad values INVALID_CONFIG with Kafka's message, before the topic's existence
/// (UNKNOWN_TOPIC_OR_PARTITION); broker configs cannot change at run time here (INVALID_REQUEST). validate_only changes nothing.
/// </summary>
internal sealed class AlterConfigsHandler(BrokerContext broker) : RequestHandler<AlterConfigsRequest, AlterConfigsResponse>(minVersion: 0, maxVersion: 2)
{
    /// <inheritdoc />
    protected override ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request)
    {
        var repeated = ConfigResources.Repeated(request.Resources, r => (r.ResourceType, r.ResourceName));
        return new(new AlterConfigsResponse
        {
            Responses = [.. request.Resources.Select((r, i) =>
            {
                var problem = repeated.Contains(i) ? ConfigResources.RepeatedResource
                    : ConfigResourceAcls.Refusal(broker, context, AclOperation.AlterConfigs, r.ResourceType, r.ResourceName) is { } refused ? new ConfigResources.Problem(refused, null)
                    : Alter(r, request.ValidateOnly);
                return new AlterConfigsResponse.AlterConfigsResourceResponse
                {
                    ResourceType = r.ResourceType,
                    ResourceName = r.ResourceName,
                    ErrorCode = (short)(problem?.Error ?? ErrorCode.None),
                    ErrorMessage = problem?.Message,
                };
            })],
        });
    }

    private ConfigResources.Problem? Alter(AlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        if (ConfigResources.CheckEntries([.. resource.Configs.Select(c => (c.Name, c.Value, NullAllowed: false))]) is { } invalid)
        {
            return invalid;
        }

        return resource.ResourceType switch
        {
            ConfigResourceType.Topic => ConfigResources.AlterTopic(broker, resource.ResourceName,
                resource.Configs.ToDictionary(c => c.Name, c => c.Value!, StringComparer.Ordinal), validateOnly),
            ConfigResourceType.Broker => ConfigResources.AlterBroker(broker, resource.ResourceName, resource.Configs.Select(c => c.Name)),
            _ => new(ErrorCode.InvalidRequest, $"Unknown resource type {resource.ResourceType}"),
        };
    }
}
