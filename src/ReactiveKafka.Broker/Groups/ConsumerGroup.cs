namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// The membership state of one classic group (Kafka's <c>GroupMetadata</c>): members, generation,
/// leader, selected protocol and state. Not thread-safe: every access holds <see cref="Gate"/>,
/// and nothing awaits while holding it (see <see cref="GroupCoordinator"/> for why a lock).
/// Committed offsets live in the <see cref="OffsetStore"/>, not here.
/// </summary>
internal sealed partial class ConsumerGroup(string groupId, DateTimeOffset now)
{
    private readonly OrderedDictionary<string, GroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _staticMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _supportedProtocols = new(StringComparer.Ordinal);

    /// <summary>The lock that guards this group; never held across an await.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The group id.</summary>
    public string GroupId { get; } = groupId;

    /// <summary>The current state.</summary>
    public GroupState State { get; private set; } = GroupState.Empty;

    /// <summary>When the group entered <see cref="State"/> (offsets of an empty group expire from there).</summary>
    public DateTimeOffset StateTimestamp { get; private set; } = now;

    /// <summary>The generation; bumped when a rebalance completes.</summary>
    public int GenerationId { get; set; }

    /// <summary>The protocol type, set by the first member (e.g. <c>consumer</c>), or null for offsets-only groups.</summary>
    public string? ProtocolType { get; set; }

    /// <summary>The protocol selected for the current generation, or null.</summary>
    public string? ProtocolName { get; private set; }

    /// <summary>The leader's member id, or null when the group has no members.</summary>
    public string? LeaderId { get; private set; }

    /// <summary>Members that got MEMBER_ID_REQUIRED and have not joined yet; each expires after its session timeout.</summary>
    public Dictionary<string, ITimer> PendingMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Members of the current generation that have not sent SyncGroup yet.</summary>
    public HashSet<string> PendingSyncMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether a new member joined during the initial delayed join (extends the delay, generation 0 only).</summary>
    public bool NewMemberAdded { get; set; }

    /// <summary>The members in join order.</summary>
    public IEnumerable<GroupMember> Members => _members.Values;

    /// <summary>The number of members.</summary>
    public int Size => _members.Count;

    /// <summary>Whether the member id belongs to the group.</summary>
    public bool Has(string memberId) => _members.ContainsKey(memberId);

    /// <summary>The member with <paramref name="memberId"/>, or null.</summary>
    public GroupMember? Get(string memberId) => _members.GetValueOrDefault(memberId);

    /// <summary>Whether <paramref name="memberId"/> leads the current generation.</summary>
    public bool IsLeader(string memberId) => LeaderId == memberId;

    /// <summary>The member id currently bound to a static instance id, or null.</summary>
    public string? StaticMemberId(string? groupInstanceId) =>
        groupInstanceId is null ? null : _staticMembers.GetValueOrDefault(groupInstanceId);

    /// <summary>The group's rebalance timeout: the largest of its members'.</summary>
    public int RebalanceTimeoutMs => _members.Values.Select(m => m.RebalanceTimeoutMs).DefaultIfEmpty(0).Max();

    /// <summary>True when every member has rejoined and no member is still between the two join steps.</summary>
    public bool HasAllMembersJoined => _members.Values.All(m => m.IsAwaitingJoin) && PendingMembers.Count == 0;

    /// <summary>Whether a rebalance may start now (Kafka's <c>canRebalance</c>).</summary>
    public bool CanRebalance => State is GroupState.Stable or GroupState.CompletingRebalance or GroupState.Empty;

    /// <summary>Adds a member; the first one fixes the protocol type and becomes leader.</summary>
    public void Add(GroupMember member)
    {
        if (_members.Count == 0)
        {
            ProtocolType = member.ProtocolType;
        }

        _members.Add(member.MemberId, member);
        LeaderId ??= member.MemberId;
        if (member.GroupInstanceId is not null)
        {
            _staticMembers[member.GroupInstanceId] = member.MemberId;
        }

        CountProtocols(member, +1);
        RemovePendingMember(member.MemberId);
    }

    /// <summary>Removes a member; a removed leader is replaced by the next member, if any.</summary>
    public void Remove(string memberId)
    {
        if (!_members.Remove(memberId, out var member))
        {
            return;
        }

        CountProtocols(member, -1);
        member.StopSessionTimer();
        PendingSyncMembers.Remove(memberId);
        if (member.GroupInstanceId is not null && _staticMembers.GetValueOrDefault(member.GroupInstanceId) == memberId)
        {
            _staticMembers.Remove(member.GroupInstanceId);
        }

        if (LeaderId == memberId)
        {
            LeaderId = _members.Count > 0 ? _members.GetAt(0).Key : null;
        }
    }

    /// <summary>Replaces the updated protocols of a member, keeping the supported-protocol counts right.</summary>
    public void UpdateProtocols(GroupMember member, IReadOnlyList<GroupProtocol> protocols)
    {
        CountProtocols(member, -1);
        member.Protocols = protocols;
        CountProtocols(member, +1);
    }

    /// <summary>
    /// Binds a static instance id to a new member id (Kafka's <c>replaceStaticMember</c>): the new
    /// member takes the old one's place, protocols, assignment and leadership. The caller fences
    /// the old member's pending responses.
    /// </summary>
    public GroupMember ReplaceStaticMember(GroupMember old, string newMemberId)
    {
        var index = _members.IndexOf(old.MemberId);
        _members.RemoveAt(index);
        old.StopSessionTimer();
        var replacement = new GroupMember(
            newMemberId, old.GroupInstanceId, old.ClientId, old.ClientHost,
            old.RebalanceTimeoutMs, old.SessionTimeoutMs, old.ProtocolType, old.Protocols)
        {
            Assignment = old.Assignment,
        };
        _members.Insert(index, newMemberId, replacement);
        _staticMembers[old.GroupInstanceId!] = newMemberId;
        if (PendingSyncMembers.Remove(old.MemberId))
        {
            PendingSyncMembers.Add(newMemberId);
        }

        if (LeaderId == old.MemberId)
        {
            LeaderId = newMemberId;
        }

        return replacement;
    }

    /// <summary>Forgets a member that got MEMBER_ID_REQUIRED; true if it was pending.</summary>
    public bool RemovePendingMember(string memberId)
    {
        if (!PendingMembers.Remove(memberId, out var timer))
        {
            return false;
        }

        timer.Dispose();
        return true;
    }

    /// <summary>
    /// Makes sure the leader is a member that rejoined (Kafka's <c>maybeElectNewJoinedLeader</c>);
    /// false when no member rejoined at all.
    /// </summary>
    public bool MaybeElectNewJoinedLeader()
    {
        if (LeaderId is null)
        {
            return false;
        }

        if (_members[LeaderId].IsAwaitingJoin)
        {
            return true;
        }

        var joined = _members.Values.FirstOrDefault(m => m.IsAwaitingJoin);
        if (joined is null)
        {
            return false;
        }

        LeaderId = joined.MemberId;
        return true;
    }

    /// <summary>Starts the next generation: CompletingRebalance with a selected protocol, or Empty without members.</summary>
    public void InitNextGeneration(DateTimeOffset now)
    {
        GenerationId++;
        if (_members.Count > 0)
        {
            ProtocolName = SelectProtocol();
            TransitionTo(GroupState.CompletingRebalance, now);
        }
        else
        {
            ProtocolName = null;
            TransitionTo(GroupState.Empty, now);
        }
    }

    /// <summary>Moves to <paramref name="state"/>; throws on a transition Kafka does not allow (a coordinator bug).</summary>
    public void TransitionTo(GroupState state, DateTimeOffset now)
    {
        var valid = state switch
        {
            GroupState.Dead => true,
            GroupState.CompletingRebalance => State == GroupState.PreparingRebalance,
            GroupState.Stable => State == GroupState.CompletingRebalance,
            GroupState.PreparingRebalance => State is GroupState.Stable or GroupState.CompletingRebalance or GroupState.Empty,
            GroupState.Empty => State == GroupState.PreparingRebalance,
            _ => false,
        };
        if (!valid)
        {
            throw new InvalidOperationException($"Group {GroupId} cannot move from {State} to {state}.");
        }

        State = state;
        StateTimestamp = now;
    }

    private void CountProtocols(GroupMember member, int delta)
    {
        foreach (var protocol in member.Protocols)
        {
            var count = _supportedProtocols.GetValueOrDefault(protocol.Name) + delta;
            if (count == 0)
            {
                _supportedProtocols.Remove(protocol.Name);
            }
            else
            {
                _supportedProtocols[protocol.Name] = count;
            }
        }
    }
}
