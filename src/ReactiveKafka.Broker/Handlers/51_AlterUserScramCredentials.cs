using ReactiveKafka.Broker.Network;
using ReactiveKafka.Broker.Security;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Handlers;

/// <summary>
/// AlterUserScramCredentials (key 51): upserts (the client sends salt and salted password; the broker keeps only the
/// stored and server keys) and deletions, one result per user, as Kafka checks them: an empty name or iterations outside
/// 4096–16384 are UNACCEPTABLE_CREDENTIAL, an unknown mechanism UNSUPPORTED_SASL_MECHANISM, a user and mechanism twice
/// DUPLICATE_RESOURCE, deleting a credential that does not exist RESOURCE_NOT_FOUND. The valid users' changes are
/// persisted together.
/// </summary>
internal sealed class AlterUserScramCredentialsHandler(BrokerContext broker)
    : RequestHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>(minVersion: 0, maxVersion: 0)
{
    /// <inheritdoc />
    protected override ValueTask<AlterUserScramCredentialsResponse?> HandleAsync(RequestContext context, AlterUserScramCredentialsRequest request)
    {
        var failed = new Dictionary<string, (ErrorCode Error, string Message)>(StringComparer.Ordinal);
        void Fail(string user, ErrorCode error, string message) => failed.TryAdd(user, (error, message));

        foreach (var deletion in request.Deletions)
        {
            if (deletion.Name.Length == 0)
            {
                Fail("", ErrorCode.UnacceptableCredential, "Username must not be empty");
            }
            else if (ScramMechanism.ByType(deletion.Mechanism) is null)
            {
                Fail(deletion.Name, ErrorCode.UnsupportedSaslMechanism, "Unknown SCRAM mechanism");
            }
        }

        foreach (var upsertion in request.Upsertions)
        {
            if (upsertion.Name.Length == 0)
            {
                Fail("", ErrorCode.UnacceptableCredential, "Username must not be empty");
            }
            else if (ScramMechanism.ByType(upsertion.Mechanism) is not { } mechanism)
            {
                Fail(upsertion.Name, ErrorCode.UnsupportedSaslMechanism, "Unknown SCRAM mechanism");
            }
            else if (upsertion.Iterations < ScramMechanism.MinIterations)
            {
                Fail(upsertion.Name, ErrorCode.UnacceptableCredential, "Too few iterations");
            }
            else if (upsertion.Iterations > ScramMechanism.MaxIterations)
            {
                Fail(upsertion.Name, ErrorCode.UnacceptableCredential, "Too many iterations");
            }
            else if (upsertion.SaltedPassword.Length != mechanism.HashSize || upsertion.Salt.Length == 0)
            {
                Fail(upsertion.Name, ErrorCode.UnacceptableCredential, $"The salted password must be {mechanism.HashSize} bytes for {mechanism.Name}, and the salt not empty");
            }
        }

        var pairs = request.Deletions.Select(d => (d.Name, d.Mechanism)).Concat(request.Upsertions.Select(u => (u.Name, u.Mechanism)))
            .Where(p => !failed.ContainsKey(p.Name)).ToList();
        foreach (var duplicate in pairs.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key.Name))
        {
            Fail(duplicate, ErrorCode.DuplicateResource, "A user credential cannot be altered twice in the same request");
        }

        var store = broker.Security.Credentials;
        foreach (var deletion in request.Deletions.Where(d => !failed.ContainsKey(d.Name)))
        {
            if (store.Find(deletion.Name, ScramMechanism.ByType(deletion.Mechanism)!) is null)
            {
                Fail(deletion.Name, ErrorCode.ResourceNotFound, "Attempt to delete a user credential that does not exist");
            }
        }

        var deletions = request.Deletions.Where(d => !failed.ContainsKey(d.Name)).Select(d => (d.Name, ScramMechanism.ByType(d.Mechanism)!)).ToList();
        var upserts = request.Upsertions.Where(u => !failed.ContainsKey(u.Name)).Select(u =>
        {
            var mechanism = ScramMechanism.ByType(u.Mechanism)!;
            return (u.Name, mechanism.Credential(u.SaltedPassword.ToArray(), u.Salt.ToArray(), u.Iterations));
        }).ToList();
        if (deletions.Count > 0 || upserts.Count > 0)
        {
            store.Apply(deletions, upserts);
        }

        var response = new AlterUserScramCredentialsResponse();
        foreach (var user in request.Deletions.Select(d => d.Name).Concat(request.Upsertions.Select(u => u.Name)).Distinct(StringComparer.Ordinal))
        {
            var (error, message) = failed.GetValueOrDefault(user, (ErrorCode.None, null!));
            response.Results.Add(new AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult
            {
                User = user,
                ErrorCode = (short)error,
                ErrorMessage = error == ErrorCode.None ? null : message,
            });
        }

        return new(response);
    }
}
