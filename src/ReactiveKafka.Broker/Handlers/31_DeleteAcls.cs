using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// DeleteAcls (key 31): every ACL matching each filter is removed (persisted), and each filter's result lists the ACLs
/// it matched; an invalid filter is INVALID_REQUEST. Needs ALTER on the cluster; SECURITY_DISABLED without an authorizer.
/// </summary>
internal sealed class DeleteAclsHandler(BrokerContext broker) : RequestHandler<DeleteAclsRequest, DeleteAclsResponse>(minVersion: 0, maxVersion: 3)
{
    /// <inheritdoc />
    protected override ValueTask<DeleteAclsResponse?> HandleAsync(RequestContext context, DeleteAclsRequest request)
    {
        var (error, message) = AclHandlerKit.Refusal(broker, context, AclOperation.Alter);
        var filters = request.Filters
            .Select(f => AclHandlerKit.Filter(f.ResourceTypeFilter, f.ResourceNameFilter, f.PatternTypeFilter, f.PrincipalFilter, f.HostFilter, f.Operation, f.PermissionType))
            .ToList();
        var response = new DeleteAclsResponse();
        var valid = error == ErrorCode.None ? filters.Where(f => f.Invalid() is null).ToList() : [];
        var removed = valid.Count > 0 ? broker.Authorizer.Store.Remove(valid) : [];
        foreach (var filter in filters)
        {
            var result = new DeleteAclsResponse.DeleteAclsFilterResult { ErrorMessage = null };
            if (error != ErrorCode.None)
            {
                (result.ErrorCode, result.ErrorMessage) = ((short)error, message);
            }
            else if (filter.Invalid() is { } invalid)
            {
                (result.ErrorCode, result.ErrorMessage) = ((short)ErrorCode.InvalidRequest, invalid);
            }
            else
            {
                result.MatchingAcls = removed[valid.IndexOf(filter)].Select(a => new DeleteAclsResponse.DeleteAclsMatchingAcl
                {
                    ErrorMessage = null,
                    ResourceType = (sbyte)a.ResourceType,
                    ResourceName = a.ResourceName,
                    PatternType = (sbyte)a.PatternType,
                    Principal = a.Principal,
                    Host = a.Host,
                    Operation = (sbyte)a.Operation,
                    PermissionType = (sbyte)a.Permission,
                }).ToList();
            }

            response.FilterResults.Add(result);
        }

        return new(response);
    }
}
