using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// DescribeUserScramCredentials (key 50): the mechanisms and iteration counts stored per user (never salts or keys).
/// No users (or an empty list) describes every user with a credential, sorted; a named user without one gets
/// RESOURCE_NOT_FOUND, an empty name RESOURCE_NOT_FOUND, a name given twice DUPLICATE_RESOURCE, with Kafka's messages.
/// </summary>
internal sealed class DescribeUserScramCredentialsHandler(BrokerContext broker)
    : RequestHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>(minVersion: 0, maxVersion: 0)
{
    /// <inheritdoc />
    protected override ValueTask<DescribeUserScramCredentialsResponse?> HandleAsync(RequestContext context, DescribeUserScramCredentialsRequest request)
    {
        var stored = broker.Security.Credentials.ByUser();
        var response = new DescribeUserScramCredentialsResponse();
        if (request.Users is not { Count: > 0 } users)
        {
            foreach (var (user, credentials) in stored.OrderBy(u => u.Key, StringComparer.Ordinal))
            {
                response.Results.Add(Describe(user, credentials));
            }

            return new(response);
        }

        var names = users.Select(u => u.Name).ToList();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            response.Results.Add(name.Length == 0
                ? Error(name, ErrorCode.ResourceNotFound, "Username must not be empty")
                : names.Count(n => n == name) > 1
                    ? Error(name, ErrorCode.DuplicateResource, $"Cannot describe SCRAM credentials for the same user twice in a single request: {name}")
                    : stored.TryGetValue(name, out var credentials)
                        ? Describe(name, credentials)
                        : Error(name, ErrorCode.ResourceNotFound, $"Attempt to describe a user credential that does not exist: {name}"));
        }

        return new(response);
    }

    private static DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult Describe(string user, List<ScramCredential> credentials) => new()
    {
        User = user,
        ErrorMessage = null,
        CredentialInfos = credentials
            .Select(c => new DescribeUserScramCredentialsResponse.CredentialInfo { Mechanism = (sbyte)c.Mechanism.Type, Iterations = c.Iterations })
            .ToList(),
    };

    private static DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult Error(string user, ErrorCode error, string message) =>
        new() { User = user, ErrorCode = (short)error, ErrorMessage = message };
}
