using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>DescribeGroups (key 15), versions 0–5: state, protocol and members of each group.</summary>
internal sealed class DescribeGroupsHandler(BrokerContext broker) : RequestHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    /// <inheritdoc />
    protected override ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request) =>
        new(new DescribeGroupsResponse
        {
            Groups = broker.Groups.DescribeGroups(request.Groups).Select(g => new DescribeGroupsResponse.DescribedGroup
            {
                ErrorCode = (short)g.Error,
                GroupId = g.GroupId,
                GroupState = g.State,
                ProtocolType = g.ProtocolType,
                ProtocolData = g.ProtocolName,
                Members = g.Members.Select(m => new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = m.Metadata,
                    MemberAssignment = m.Assignment,
                }).ToList(),
            }).ToList(),
        });
}

/// <summary>ListGroups (key 16), versions 0–4 (states filter from v4).</summary>
internal sealed class ListGroupsHandler(BrokerContext broker) : RequestHandler<ListGroupsRequest, ListGroupsResponse>
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

/// <summary>DeleteGroups (key 42), versions 0–2: NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown groups.</summary>
internal sealed class DeleteGroupsHandler(BrokerContext broker) : RequestHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    /// <inheritdoc />
    protected override async ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request)
    {
        var deleted = await broker.Groups.DeleteGroupsAsync(request.GroupsNames, context.ConnectionClosed).ConfigureAwait(false);
        return new DeleteGroupsResponse
        {
            Results = deleted.Select(d => new DeleteGroupsResponse.DeletableGroupResult { GroupId = d.GroupId, ErrorCode = (short)d.Error }).ToList(),
        };
    }
}
