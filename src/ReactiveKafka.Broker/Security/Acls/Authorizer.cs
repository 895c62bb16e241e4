using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker.Network;

namespace ReactiveKafka.Broker.Security.Acls;

/// <summary>
/// Decides whether a principal may do an operation on a resource, as Kafka's StandardAuthorizer: super users may do
/// anything; the ACLs that apply are the resource's literal name, the literal wildcard <c>*</c> and every prefix of the
/// name; a resource none applies to is open only with <see cref="BrokerAuthorizationOptions.AllowEveryoneIfNoAclFound"/>;
/// a matching DENY wins over any ALLOW; READ, WRITE, DELETE and ALTER imply DESCRIBE, and ALTER_CONFIGS implies
/// DESCRIBE_CONFIGS; ALL matches every operation. Without options it allows everything. Denials are logged.
/// </summary>
internal sealed class Authorizer
{
    private readonly BrokerAuthorizationOptions? _options;
    private readonly ILogger _logger;

    public Authorizer(BrokerAuthorizationOptions? options, AclStore store, ILogger logger)
    {
        _options = options;
        Store = store;
        _logger = logger;
    }

    /// <summary>Whether ACLs are enforced (and the ACL APIs served).</summary>
    public bool Enabled => _options is not null;

    /// <summary>The ACLs.</summary>
    public AclStore Store { get; }

    /// <summary>Whether the request's principal may do <paramref name="operation"/> on the resource; logs a denial.</summary>
    public bool Allows(RequestContext context, AclOperation operation, AclResourceType type, string name, bool logIfDenied = true)
    {
        if (_options is null)
        {
            return true;
        }

        var allowed = Decide(context.Principal, context.ClientHost, operation, type, name);
        if (!allowed && logIfDenied)
        {
            // Kafka's authorizer log: "Principal = User:bob is Denied operation = READ from host = 127.0.0.1 on resource = Topic:LITERAL:orders".
            _logger.LogInformation("Principal = {Principal} is Denied operation = {Operation} from host = {Host} on resource = {Type}:{Name} ({Api})",
                context.Principal, operation, context.ClientHost, type, name, context.ApiKey);
        }

        return allowed;
    }

    /// <summary>Whether the principal may do <paramref name="operation"/> on the cluster resource.</summary>
    public bool AllowsCluster(RequestContext context, AclOperation operation, bool logIfDenied = true) =>
        Allows(context, operation, AclResourceType.Cluster, AclBinding.ClusterName, logIfDenied);

    /// <summary>
    /// Whether the principal may do <paramref name="operation"/> on some resource of <paramref name="type"/>, as Kafka's
    /// <c>Authorizer.authorizeByResourceType</c> (InitProducerId without a transactional id asks for WRITE on any topic):
    /// first the operation on a name no one uses (Kafka's <c>"hardcode"</c>), so a super user, or, with
    /// <see cref="BrokerAuthorizationOptions.AllowEveryoneIfNoAclFound"/>, a type whose ACLs leave that name alone, passes;
    /// then a DENY of the operation on the literal wildcard forbids it, and an ALLOW of it (or of ALL) on any name allows
    /// it unless a DENY on the same literal name or on a prefix of the name covers it. Only the operation itself and ALL
    /// count here, as in Kafka: no implied operations.
    /// </summary>
    public bool AllowsAnyOfType(RequestContext context, AclOperation operation, AclResourceType type)
    {
        if (_options is null || Decide(context.Principal, context.ClientHost, operation, type, UnnamedResource))
        {
            return true;
        }

        var principal = context.Principal;
        var wildcardPrincipal = principal.IndexOf(':') is var colon and > 0 ? principal[..(colon + 1)] + AclBinding.Wildcard : principal;
        var mine = Store.All.Where(a => a.ResourceType == type
            && (a.Principal == principal || a.Principal == wildcardPrincipal)
            && (a.Host == AclBinding.Wildcard || a.Host == context.ClientHost)
            && (a.Operation == AclOperation.All || a.Operation == operation)).ToList();
        if (mine.Any(a => a.Permission == AclPermission.Deny && a.PatternType == AclPatternType.Literal && a.ResourceName == AclBinding.Wildcard))
        {
            return false;
        }

        if (mine.Any(a => a.Permission == AclPermission.Allow && a.PatternType == AclPatternType.Literal && a.ResourceName == AclBinding.Wildcard))
        {
            return true;
        }

        return mine.Any(a => a.Permission == AclPermission.Allow
            && !mine.Any(d => d.Permission == AclPermission.Deny
                && (d.PatternType == AclPatternType.Literal ? d.ResourceName == a.ResourceName && a.PatternType == AclPatternType.Literal
                    : d.PatternType == AclPatternType.Prefixed && a.ResourceName.StartsWith(d.ResourceName, StringComparison.Ordinal))));
    }

    // The resource name Kafka's authorizeByResourceType asks about first ("hardcode"): one no ACL is meant to name.
    private const string UnnamedResource = "hardcode";

    private bool Decide(string principal, string host, AclOperation operation, AclResourceType type, string name)
    {
        if (_options!.SuperUsers.Contains(principal, StringComparer.Ordinal))
        {
            return true;
        }

        var applying = Store.All.Where(a => a.ResourceType == type && Applies(a, name)).ToList();
        if (applying.Count == 0)
        {
            return _options.AllowEveryoneIfNoAclFound;
        }

        var wildcardPrincipal = principal.IndexOf(':') is var colon and > 0 ? principal[..(colon + 1)] + AclBinding.Wildcard : principal;
        var mine = applying.Where(a => (a.Principal == principal || a.Principal == wildcardPrincipal) && (a.Host == AclBinding.Wildcard || a.Host == host)).ToList();
        if (mine.Any(a => a.Permission == AclPermission.Deny && (a.Operation == AclOperation.All || a.Operation == operation)))
        {
            return false;
        }

        return mine.Any(a => a.Permission == AclPermission.Allow && Grants(a.Operation, operation));
    }

    private static bool Applies(AclBinding acl, string name) => acl.PatternType switch
    {
        AclPatternType.Literal => acl.ResourceName == name || acl.ResourceName == AclBinding.Wildcard,
        AclPatternType.Prefixed => name.StartsWith(acl.ResourceName, StringComparison.Ordinal),
        _ => false,
    };

    private static bool Grants(AclOperation granted, AclOperation wanted) =>
        granted == AclOperation.All
        || granted == wanted
        || (wanted == AclOperation.Describe && granted is AclOperation.Read or AclOperation.Write or AclOperation.Delete or AclOperation.Alter)
        || (wanted == AclOperation.DescribeConfigs && granted == AclOperation.AlterConfigs);
}
