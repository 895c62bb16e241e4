namespace ReactiveKafka.Broker.Security.Acls;

/// <summary>Kafka's resource types (their protocol numbers).</summary>
internal enum AclResourceType : sbyte
{
    Unknown = 0,
    Any = 1,
    Topic = 2,
    Group = 3,
    Cluster = 4,
    TransactionalId = 5,
    DelegationToken = 6,
    User = 7,
}

/// <summary>Kafka's resource pattern types.</summary>
internal enum AclPatternType : sbyte
{
    Unknown = 0,
    Any = 1,
    Match = 2,
    Literal = 3,
    Prefixed = 4,
}

/// <summary>Kafka's ACL operations.</summary>
internal enum AclOperation : sbyte
{
    Unknown = 0,
    Any = 1,
    All = 2,
    Read = 3,
    Write = 4,
    Create = 5,
    Delete = 6,
    Alter = 7,
    Describe = 8,
    ClusterAction = 9,
    DescribeConfigs = 10,
    AlterConfigs = 11,
    IdempotentWrite = 12,
    CreateTokens = 13,
    DescribeTokens = 14,
}

/// <summary>Kafka's ACL permission types.</summary>
internal enum AclPermission : sbyte
{
    Unknown = 0,
    Any = 1,
    Deny = 2,
    Allow = 3,
}

/// <summary>One ACL: a resource pattern and an entry (who, from where, what, allowed or denied).</summary>
internal sealed record AclBinding(
    AclResourceType ResourceType,
    string ResourceName,
    AclPatternType PatternType,
    string Principal,
    string Host,
    AclOperation Operation,
    AclPermission Permission)
{
    /// <summary>The wildcard resource name, principal name and host.</summary>
    public const string Wildcard = "*";

    /// <summary>The name of the one cluster resource.</summary>
    public const string ClusterName = "kafka-cluster";

    /// <summary>Why a new ACL is invalid (Kafka's messages), or null.</summary>
    public string? Invalid()
    {
        if (ResourceType is AclResourceType.Unknown or AclResourceType.Any || !Enum.IsDefined(ResourceType))
        {
            return "Invalid resourceType " + (sbyte)ResourceType;
        }

        if (PatternType is not (AclPatternType.Literal or AclPatternType.Prefixed))
        {
            return "Invalid patternType " + (sbyte)PatternType;
        }

        if (Operation is AclOperation.Unknown or AclOperation.Any || !Enum.IsDefined(Operation))
        {
            return "Invalid operation " + (sbyte)Operation;
        }

        if (Permission is not (AclPermission.Allow or AclPermission.Deny))
        {
            return "Invalid permissionType " + (sbyte)Permission;
        }

        if (string.IsNullOrEmpty(ResourceName))
        {
            return "Resource name should not be empty";
        }

        if (ResourceType == AclResourceType.Cluster && (ResourceName != ClusterName || PatternType != AclPatternType.Literal))
        {
            return $"The only valid name for the CLUSTER resource is {ClusterName}";
        }

        var colon = Principal.IndexOf(':');
        if (colon <= 0 || colon == Principal.Length - 1)
        {
            return $"Could not parse principal from `{Principal}` (no colon is present separating the principal type from the principal name)";
        }

        if (string.IsNullOrEmpty(Host))
        {
            return "Invalid host: it must be * or an address";
        }

        return null;
    }
}

/// <summary>A filter over ACLs (DescribeAcls, DeleteAcls): Any and null match everything; Match matches the patterns that apply to a name.</summary>
internal sealed record AclFilter(
    AclResourceType ResourceType,
    string? ResourceName,
    AclPatternType PatternType,
    string? Principal,
    string? Host,
    AclOperation Operation,
    AclPermission Permission)
{
    /// <summary>Why the filter is invalid, or null.</summary>
    public string? Invalid() =>
        ResourceType == AclResourceType.Unknown || !Enum.IsDefined(ResourceType) ? "Invalid resourceType filter"
        : PatternType == AclPatternType.Unknown || !Enum.IsDefined(PatternType) ? "Invalid patternType filter"
        : Operation == AclOperation.Unknown || !Enum.IsDefined(Operation) ? "Invalid operation filter"
        : Permission == AclPermission.Unknown || !Enum.IsDefined(Permission) ? "Invalid permissionType filter"
        : null;

    /// <summary>Whether <paramref name="acl"/> passes the filter.</summary>
    public bool Matches(AclBinding acl)
    {
        if (ResourceType != AclResourceType.Any && acl.ResourceType != ResourceType)
        {
            return false;
        }

        var nameMatches = PatternType switch
        {
            AclPatternType.Any => ResourceName is null || acl.ResourceName == ResourceName,
            AclPatternType.Match => ResourceName is null
                || (acl.PatternType == AclPatternType.Literal && (acl.ResourceName == ResourceName || acl.ResourceName == AclBinding.Wildcard))
                || (acl.PatternType == AclPatternType.Prefixed && ResourceName.StartsWith(acl.ResourceName, StringComparison.Ordinal)),
            _ => acl.PatternType == PatternType && (ResourceName is null || acl.ResourceName == ResourceName),
        };

        return nameMatches
            && (Principal is null || acl.Principal == Principal)
            && (Host is null || acl.Host == Host)
            && (Operation == AclOperation.Any || acl.Operation == Operation)
            && (Permission == AclPermission.Any || acl.Permission == Permission);
    }
}
