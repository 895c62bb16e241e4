using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// The group's metadata in the offsets log (Kafka's <c>storeGroup</c> and group loading): the stable generation is
/// written when the leader's SyncGroup completes it (and when a static member takes over a member id without a
/// rebalance), an Empty group's record when a rebalance ends without members; a restart reloads the last one.
/// </summary>
internal sealed partial class ConsumerGroup
{
    /// <summary>Enqueues the current Stable generation with its members and assignments (under the lock, so in decision order).</summary>
    private void StoreStableGeneration()
    {
        var members = _members.Values
            .Select(m => new StoredMember(
                m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost, m.RebalanceTimeoutMs, m.SessionTimeoutMs,
                m.MetadataFor(ProtocolName!), m.Assignment))
            .ToList();
        var stable = new StoredGeneration(ProtocolName!, LeaderId ?? "", members);
        _host.AppendInBackground([new OffsetLogRecord.Group(GroupId, new StoredGroup(ProtocolType, GenerationId, stable))]);
    }

    /// <summary>Enqueues the record of an Empty group: protocol type and generation, no members.</summary>
    private void StoreEmptyGroup() =>
        _host.AppendInBackground([new OffsetLogRecord.Group(GroupId, new StoredGroup(ProtocolType, GenerationId))]);

    /// <summary>
    /// Reloads a stored Stable generation (called from the constructor): the members come back with their assignments,
    /// each with a fresh session timeout, so members that heartbeat within it never notice the restart. A rebalance that
    /// was in progress when the broker stopped was not stored, so its members find the last stable generation and rejoin.
    /// </summary>
    private void Restore(StoredGeneration stable)
    {
        var protocolType = ProtocolType ?? "";
        foreach (var stored in stable.Members)
        {
            if (Has(stored.MemberId))
            {
                continue;
            }

            Add(new GroupMember(
                stored.MemberId, stored.GroupInstanceId, stored.ClientId, stored.ClientHost,
                stored.RebalanceTimeoutMs, stored.SessionTimeoutMs, protocolType,
                [new GroupProtocol(stable.ProtocolName, stored.Subscription)])
            {
                Assignment = stored.Assignment,
            });
        }

        if (_members.Count == 0)
        {
            return;
        }

        ProtocolType = protocolType;
        ProtocolName = stable.ProtocolName;
        if (Has(stable.LeaderId))
        {
            LeaderId = stable.LeaderId;
        }

        _subscribedTopics = ComputeSubscribedTopics();
        State = GroupState.Stable;
        foreach (var member in _members.Values)
        {
            ScheduleSession(member);
        }

        Logger.LogInformation("Group {GroupId} reloaded in generation {Generation} with {Members} members", GroupId, GenerationId, Size);
    }
}
