using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>DeleteTopics (key 20), by name, or by topic id from v6. Committed offsets of the topic are removed too.</summary>
internal sealed class DeleteTopicsHandler(BrokerContext broker) : RequestHandler<DeleteTopicsRequest, DeleteTopicsResponse>(minVersion: 0, maxVersion: 6)
{
    /// <inheritdoc />
    protected override async ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request)
    {
        var response = new DeleteTopicsResponse();
        var targets = context.ApiVersion < 6
            ? request.TopicNames.Select(n => (Name: (string?)n, Id: Guid.Empty)).ToList()
            : request.Topics.Select(t => (t.Name, Id: t.TopicId)).ToList();
        foreach (var (requestedName, id) in targets)
        {
            var name = requestedName ?? broker.Topics.GetTopic(id)?.Name;
            var result = new DeleteTopicsResponse.DeletableTopicResult { Name = name, TopicId = id };
            response.Responses.Add(result);
            if (name is null)
            {
                result.ErrorCode = (short)ErrorCode.UnknownTopicId;
                continue;
            }

            if (!broker.Authorizer.Allows(context, AclOperation.Delete, AclResourceType.Topic, name))
            {
                result.ErrorCode = (short)ErrorCode.TopicAuthorizationFailed;
                continue;
            }

            var deleted = await broker.Topics.DeleteTopicAsync(name).ConfigureAwait(false);
            result.ErrorCode = (short)deleted.Error;
            result.ErrorMessage = deleted.Message;
            if (deleted.Error == ErrorCode.None)
            {
                await broker.Groups.RemoveOffsetsForTopicAsync(name).ConfigureAwait(false);
            }
        }

        return response;
    }
}
