using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class ConsumerGroup
{
    /// <summary>The protocol type of Kafka consumers, whose metadata the coordinator can read.</summary>
    private const string ConsumerProtocolType = "consumer";

    /// <summary>
    /// Whether a member with these protocols may join (Kafka's <c>supportsProtocols</c>): any
    /// non-empty protocol list for a group without members; otherwise the same protocol type and at
    /// least one protocol that every current member supports.
    /// </summary>
    private bool SupportsProtocols(string protocolType, IReadOnlyList<GroupProtocol> protocols)
    {
        if (_members.Count == 0)
        {
            return protocolType.Length > 0 && protocols.Count > 0;
        }

        return ProtocolType == protocolType
            && protocols.Any(p => _supportedProtocols.GetValueOrDefault(p.Name) == _members.Count);
    }

    /// <summary>
    /// Kafka's <c>selectProtocol</c>: among the protocols every member supports, each member votes
    /// for its most preferred one and the most votes win. Kafka breaks ties arbitrarily (hash order);
    /// here the protocol voted for first wins, so the choice is deterministic.
    /// </summary>
    private string SelectProtocol()
    {
        var candidates = _supportedProtocols.Where(p => p.Value == _members.Count).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var votes = new OrderedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var member in _members.Values)
        {
            var vote = member.Vote(candidates);
            votes[vote] = votes.GetValueOrDefault(vote) + 1;
        }

        var best = votes.GetAt(0);
        foreach (var entry in votes)
        {
            if (entry.Value > best.Value)
            {
                best = entry;
            }
        }

        return best.Key;
    }

    /// <summary>The members with their metadata for the selected protocol, as the leader's JoinGroup response lists them.</summary>
    private IReadOnlyList<JoinGroupMember> CurrentMemberMetadata()
    {
        var protocol = ProtocolName ?? throw new InvalidOperationException($"Group {GroupId} has no selected protocol.");
        return _members.Values.Select(m => new JoinGroupMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(protocol))).ToList();
    }

    /// <summary>
    /// Kafka's <c>computeSubscribedTopics</c>: for the <c>consumer</c> protocol type, the union of the
    /// topics in the members' subscriptions (read as version 0, the prefix of every version); the empty
    /// set without members; null for other protocol types or metadata that cannot be read.
    /// </summary>
    private HashSet<string>? ComputeSubscribedTopics()
    {
        if (ProtocolType != ConsumerProtocolType)
        {
            return null;
        }

        var topics = new HashSet<string>(StringComparer.Ordinal);
        if (_members.Count == 0 || ProtocolName is null)
        {
            return _members.Count == 0 ? topics : null;
        }

        try
        {
            foreach (var member in _members.Values)
            {
                var reader = new ProtocolReader(member.MetadataFor(ProtocolName));
                reader.ReadInt16();
                topics.UnionWith(ConsumerProtocolSubscription.Read(ref reader, 0).Topics);
            }

            return topics;
        }
        catch (ProtocolException e)
        {
            Logger.LogWarning(e, "Group {GroupId} has consumer protocol metadata that cannot be read; its subscribed topics are unknown", GroupId);
            return null;
        }
    }
}
