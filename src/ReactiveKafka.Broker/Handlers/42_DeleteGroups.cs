using ReactiveKafka.Protocol;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>DeleteGroups (key 42): NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown groups.</summary>
internal sealed class DeleteGroupsHandler(BrokerContext broker) : RequestHandler<DeleteGroupsRequest, DeleteGroupsResponse>(minVersion: 0, maxVersion: 2)
{
    /// <inheritdoc />
    protected override async ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request)
    {
        var allowed = request.GroupsNames.Where(g => broker.Authorizer.Allows(context, AclOperation.Delete, AclResourceType.Group, g)).ToList();
        var deleted = allowed.Count > 0 ? await broker.Groups.DeleteGroupsAsync(allowed, context.ConnectionClosed).ConfigureAwait(false) : [];
        var refused = request.GroupsNames.Except(allowed, StringComparer.Ordinal)
            .Select(g => new DeleteGroupsResponse.DeletableGroupResult { GroupId = g, ErrorCode = (short)ErrorCode.GroupAuthorizationFailed });
        return new DeleteGroupsResponse
        {
            Results = [.. deleted.Select(d => new DeleteGroupsResponse.DeletableGroupResult { GroupId = d.GroupId, ErrorCode = (short)d.Error }), .. refused],
        };
    }
}
