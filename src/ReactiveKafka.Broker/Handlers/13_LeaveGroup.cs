using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>LeaveGroup (key 13): one member (v0–2) or a batch with instance ids (v3+).</summary>
internal sealed class LeaveGroupHandler(BrokerContext broker) : RequestHandler<LeaveGroupRequest, LeaveGroupResponse>(minVersion: 0, maxVersion: 5)
{
    /// <inheritdoc />
    protected override async ValueTask<LeaveGroupResponse?> HandleAsync(RequestContext context, LeaveGroupRequest request)
    {
        if (!broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Group, request.GroupId))
        {
            return new LeaveGroupResponse { ErrorCode = (short)Protocol.ErrorCode.GroupAuthorizationFailed };
        }

        IReadOnlyList<LeavingMember> members = context.ApiVersion < 3
            ? [new LeavingMember(request.MemberId, null)]
            : request.Members.Select(m => new LeavingMember(m.MemberId, m.GroupInstanceId, m.Reason)).ToList();
        var result = await broker.Groups.LeaveAsync(new LeaveGroupInput(request.GroupId, members), context.ConnectionClosed).ConfigureAwait(false);
        var response = new LeaveGroupResponse
        {
            ErrorCode = (short)result.Error,
            Members = result.Members.Select(m => new LeaveGroupResponse.MemberResponse
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                ErrorCode = (short)m.Error,
            }).ToList(),
        };

        // Before v3 there is no per-member result: the member's error is the response's error.
        if (context.ApiVersion < 3 && response.ErrorCode == 0 && result.Members.Count == 1)
        {
            response.ErrorCode = (short)result.Members[0].Error;
        }

        return response;
    }
}
