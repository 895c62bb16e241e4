using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// DescribeAcls (key 29): the ACLs matching the filter, grouped by resource pattern. Needs DESCRIBE on the cluster;
/// SECURITY_DISABLED without an authorizer; an invalid filter is INVALID_REQUEST.
/// </summary>
internal sealed class DescribeAclsHandler(BrokerContext broker) : RequestHandler<DescribeAclsRequest, DescribeAclsResponse>(minVersion: 0, maxVersion: 3)
{
    /// <inheritdoc />
    protected override ValueTask<DescribeAclsResponse?> HandleAsync(RequestContext context, DescribeAclsRequest request)
    {
        var (error, message) = AclHandlerKit.Refusal(broker, context, AclOperation.Describe);
        var filter = AclHandlerKit.Filter(request.ResourceTypeFilter, request.ResourceNameFilter, request.PatternTypeFilter,
            request.PrincipalFilter, request.HostFilter, request.Operation, request.PermissionType);
        if (error == ErrorCode.None && filter.Invalid() is { } invalid)
        {
            (error, message) = (ErrorCode.InvalidRequest, invalid);
        }

        var response = new DescribeAclsResponse { ErrorCode = (short)error, ErrorMessage = message };
        if (error != ErrorCode.None)
        {
            return new(response);
        }

        foreach (var resource in broker.Authorizer.Store.All.Where(filter.Matches).GroupBy(a => (a.ResourceType, a.ResourceName, a.PatternType)))
        {
            response.Resources.Add(new DescribeAclsResponse.DescribeAclsResource
            {
                ResourceType = (sbyte)resource.Key.ResourceType,
                ResourceName = resource.Key.ResourceName,
                PatternType = (sbyte)resource.Key.PatternType,
                Acls = resource.Select(a => new DescribeAclsResponse.AclDescription
                {
                    Principal = a.Principal,
                    Host = a.Host,
                    Operation = (sbyte)a.Operation,
                    PermissionType = (sbyte)a.Permission,
                }).ToList(),
            });
        }

        return new(response);
    }
}
