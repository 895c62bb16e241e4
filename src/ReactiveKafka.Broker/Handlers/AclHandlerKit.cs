using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security.Acls;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>What the ACL handlers share: Kafka's answer when no authorizer is configured, and the cluster check.</summary>
internal static class AclHandlerKit
{
    /// <summary>Kafka's message for SECURITY_DISABLED.</summary>
    public const string NoAuthorizer = "No Authorizer is configured on the broker";

    /// <summary>The error of an ACL request on this broker now: SECURITY_DISABLED, CLUSTER_AUTHORIZATION_FAILED, or none.</summary>
    public static (ErrorCode Error, string? Message) Refusal(BrokerContext broker, RequestContext context, AclOperation clusterOperation) =>
        !broker.Authorizer.Enabled ? (ErrorCode.SecurityDisabled, NoAuthorizer)
        : !broker.Authorizer.AllowsCluster(context, clusterOperation) ? (ErrorCode.ClusterAuthorizationFailed, "Cluster authorization failed.")
        : (ErrorCode.None, null);

    /// <summary>A filter from the protocol's fields.</summary>
    public static AclFilter Filter(sbyte type, string? name, sbyte pattern, string? principal, string? host, sbyte operation, sbyte permission) =>
        new((AclResourceType)type, name, (AclPatternType)pattern, principal, host, (AclOperation)operation, (AclPermission)permission);
}
