using ReactiveKafka.Broker.Network;
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
                .Select(g => new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = g.ProtocolType, GroupState = g.State, GroupType = g.GroupType })
                .ToList(),
        });
}
