using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// JoinGroup (key 11), served by the classic group coordinator: the MEMBER_ID_REQUIRED
/// two-step join from v4, static membership (group.instance.id) from v5. The response waits, without
/// holding a thread, until the rebalance completes.
/// </summary>
internal sealed class JoinGroupHandler(BrokerContext broker) : RequestHandler<JoinGroupRequest, JoinGroupResponse>(minVersion: 0, maxVersion: 9)
{
    /// <inheritdoc />
    protected override async ValueTask<JoinGroupResponse?> HandleAsync(RequestContext context, JoinGroupRequest request)
    {
        if (!broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Group, request.GroupId))
        {
            return new JoinGroupResponse
            {
                ErrorCode = (short)Protocol.ErrorCode.GroupAuthorizationFailed,
                GenerationId = -1,
                ProtocolName = context.ApiVersion >= 7 ? null : "",
                MemberId = request.MemberId,
            };
        }

        var input = new JoinGroupInput(
            request.GroupId,
            request.SessionTimeoutMs,
            context.ApiVersion == 0 ? request.SessionTimeoutMs : request.RebalanceTimeoutMs,
            request.MemberId,
            request.GroupInstanceId,
            request.ProtocolType,
            request.Protocols.Select(p => new GroupProtocol(p.Name, p.Metadata.ToArray())).ToList(),
            context.ClientId ?? "",
            context.ClientHost,
            context.ApiVersion,
            request.Reason);
        var result = await broker.Groups.JoinAsync(input, context.ConnectionClosed).ConfigureAwait(false);
        return new JoinGroupResponse
        {
            ErrorCode = (short)result.Error,
            GenerationId = result.GenerationId,
            ProtocolType = result.ProtocolType,
            ProtocolName = context.ApiVersion >= 7 ? result.ProtocolName : result.ProtocolName ?? "",
            Leader = result.LeaderId,
            SkipAssignment = result.SkipAssignment,
            MemberId = result.MemberId,
            Members = result.Members.Select(m => new JoinGroupResponse.JoinGroupResponseMember
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                Metadata = m.Metadata,
            }).ToList(),
        };
    }
}
