using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// CreateAcls (key 30): one result per creation; an invalid binding (resource type, pattern, operation, permission,
/// empty name, a cluster not named kafka-cluster, a principal without a type) is INVALID_REQUEST with Kafka's message,
/// the valid ones are stored (persisted) together. Needs ALTER on the cluster; SECURITY_DISABLED without an authorizer.
/// </summary>
internal sealed class CreateAclsHandler(BrokerContext broker) : RequestHandler<CreateAclsRequest, CreateAclsResponse>(minVersion: 0, maxVersion: 3)
{
    /// <inheritdoc />
    protected override ValueTask<CreateAclsResponse?> HandleAsync(RequestContext context, CreateAclsRequest request)
    {
        var (error, message) = AclHandlerKit.Refusal(broker, context, AclOperation.Alter);
        var response = new CreateAclsResponse();
        var valid = new List<AclBinding>();
        foreach (var creation in request.Creations)
        {
            var acl = new AclBinding((AclResourceType)creation.ResourceType, creation.ResourceName, (AclPatternType)creation.ResourcePatternType,
                creation.Principal, creation.Host, (AclOperation)creation.Operation, (AclPermission)creation.PermissionType);
            var (itemError, itemMessage) = error != ErrorCode.None ? (error, message)
                : acl.Invalid() is { } invalid ? (ErrorCode.InvalidRequest, invalid)
                : (ErrorCode.None, null);
            if (itemError == ErrorCode.None)
            {
                valid.Add(acl);
            }

            response.Results.Add(new CreateAclsResponse.AclCreationResult { ErrorCode = (short)itemError, ErrorMessage = itemMessage });
        }

        if (valid.Count > 0)
        {
            broker.Authorizer.Store.Add(valid);
        }

        return new(response);
    }
}
