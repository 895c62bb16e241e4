using ReactiveKafka.Broker.Network;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>DeleteGroups (key 42): NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown groups.</summary>
internal sealed class DeleteGroupsHandler(BrokerContext broker) : RequestHandler<DeleteGroupsRequest, DeleteGroupsResponse>(minVersion: 0, maxVersion: 2)
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
