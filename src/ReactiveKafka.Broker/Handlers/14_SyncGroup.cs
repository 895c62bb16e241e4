using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>SyncGroup (key 14): the leader hands in the assignment; followers wait for it.</summary>
internal sealed class SyncGroupHandler(BrokerContext broker) : RequestHandler<SyncGroupRequest, SyncGroupResponse>(minVersion: 0, maxVersion: 5)
{
    /// <inheritdoc />
    protected override async ValueTask<SyncGroupResponse?> HandleAsync(RequestContext context, SyncGroupRequest request)
    {
        if (!broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Group, request.GroupId))
        {
            return new SyncGroupResponse { ErrorCode = (short)Protocol.ErrorCode.GroupAuthorizationFailed };
        }

        var input = new SyncGroupInput(
            request.GroupId,
            request.GenerationId,
            request.MemberId,
            request.GroupInstanceId,
            request.ProtocolType,
            request.ProtocolName,
            // Copied: the request's buffer is returned to the pool once this response is written, but the
            // group keeps the assignment for the members that sync later.
            request.Assignments.Select(a => new GroupAssignment(a.MemberId, a.Assignment.ToArray())).ToList());
        var result = await broker.Groups.SyncAsync(input, context.ConnectionClosed).ConfigureAwait(false);
        return new SyncGroupResponse
        {
            ErrorCode = (short)result.Error,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName,
            Assignment = result.Assignment,
        };
    }
}
