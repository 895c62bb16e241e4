using ReactiveKafka.Broker.Groups;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>Heartbeat (key 12): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.</summary>
internal sealed class HeartbeatHandler(BrokerContext broker) : RequestHandler<HeartbeatRequest, HeartbeatResponse>(minVersion: 0, maxVersion: 4)
{
    /// <inheritdoc />
    protected override async ValueTask<HeartbeatResponse?> HandleAsync(RequestContext context, HeartbeatRequest request)
    {
        if (!broker.Authorizer.Allows(context, AclOperation.Read, AclResourceType.Group, request.GroupId))
        {
            return new HeartbeatResponse { ErrorCode = (short)Protocol.ErrorCode.GroupAuthorizationFailed };
        }

        var error = await broker.Groups.HeartbeatAsync(
            new HeartbeatInput(request.GroupId, request.GenerationId, request.MemberId, request.GroupInstanceId),
            context.ConnectionClosed).ConfigureAwait(false);
        return new HeartbeatResponse { ErrorCode = (short)error };
    }
}
