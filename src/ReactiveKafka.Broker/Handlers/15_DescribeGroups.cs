using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>DescribeGroups (key 15): state, protocol and members of each group.</summary>
internal sealed class DescribeGroupsHandler(BrokerContext broker) : RequestHandler<DescribeGroupsRequest, DescribeGroupsResponse>(minVersion: 0, maxVersion: 5)
{
    /// <inheritdoc />
    protected override ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request) =>
        new(new DescribeGroupsResponse
        {
            Groups = broker.Groups.DescribeGroups(request.Groups).Select(g => !broker.Authorizer.Allows(context, AclOperation.Describe, AclResourceType.Group, g.GroupId)
                ? new DescribeGroupsResponse.DescribedGroup { GroupId = g.GroupId, ErrorCode = (short)Protocol.ErrorCode.GroupAuthorizationFailed }
                : new DescribeGroupsResponse.DescribedGroup
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
