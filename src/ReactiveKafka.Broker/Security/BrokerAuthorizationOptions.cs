namespace ReactiveKafka.Broker;

/// <summary>
/// Authorization with ACLs, as Kafka's StandardAuthorizer: every API checks the principal's rights on the topic, group,
/// cluster or transactional id it touches and answers *_AUTHORIZATION_FAILED where they are missing. ACLs are managed
/// with CreateAcls / DescribeAcls / DeleteAcls and kept in the data directory. Without these options (the default)
/// there is no authorizer: everything is allowed and the ACL APIs answer SECURITY_DISABLED.
/// </summary>
public sealed record BrokerAuthorizationOptions
{
    /// <summary>Principals allowed everything without ACLs (Kafka's <c>super.users</c>), e.g. <c>User:admin</c>.</summary>
    public IReadOnlyList<string> SuperUsers { get; init; } = [];

    /// <summary>
    /// Whether a resource no ACL names is open to everyone (Kafka's <c>allow.everyone.if.no.acl.found</c>). Default false,
    /// as Kafka: only super users reach it.
    /// </summary>
    public bool AllowEveryoneIfNoAclFound { get; init; }
}
