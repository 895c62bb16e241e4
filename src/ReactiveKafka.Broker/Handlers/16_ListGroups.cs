using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>ListGroups (key 16), with the states filter from v4.</summary>
internal sealed class ListGroupsHandler(BrokerContext broker) : RequestHandler<ListGroupsRequest, ListGroupsResponse>(minVersion: 0, maxVersion: 4)
{
    /// <inheritdoc />
    protected override ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request) =>
        new(new ListGroupsResponse
        {
            Groups = broker.Groups.ListGroups(request.StatesFilter.Count > 0 ? request.StatesFilter : null, request.TypesFilter.Count > 0 ? request.TypesFilter : null)
                // As Kafka: DESCRIBE on the cluster lists every group, otherwise only the groups the principal may DESCRIBE.
                .Where(g => !broker.Authorizer.Enabled || broker.Authorizer.AllowsCluster(context, AclOperation.Describe, logIfDenied: false)
                    || broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Group, g.GroupId, logIfDenied: false))
                .Select(g => new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = g.ProtocolType, GroupState = g.State, GroupType = g.GroupType })
                .ToList(),
        });
}
