using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// One classic group (Kafka's <c>GroupMetadata</c> with the transitions of its <c>GroupCoordinator</c>):
/// members, generation, leader, selected protocol and state, and every transition on them — join,
/// sync, heartbeat, leave, session and rebalance expiry, offset commit validation, deletion.
/// </summary>
/// <remarks>
/// Thread-safety: every public member takes the group's private lock, held only for short synchronous
/// sections (never across an await or I/O); private members assume it is held. Parked JoinGroup and
/// SyncGroup responses are completion sources created with
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so completing one under the lock
/// never runs the waiter there. Timer callbacks come from <see cref="IGroupHost.Schedule"/> and take the
/// lock themselves; each checks an epoch so a callback already in flight when its timer was replaced
/// does nothing. Committed offsets live in the offset store behind <see cref="IGroupHost"/>; writes to it
/// are enqueued under the lock, so the log records this group's decisions in order.
/// </remarks>
internal sealed partial class ConsumerGroup
{
    private readonly Lock _gate = new();
    private readonly IGroupHost _host;
    private readonly OrderedDictionary<string, GroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _staticMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _supportedProtocols = new(StringComparer.Ordinal);

    /// <summary>Members that got MEMBER_ID_REQUIRED and have not joined yet; each expires after its session timeout.</summary>
    private readonly Dictionary<string, ITimer> _pendingMembers = new(StringComparer.Ordinal);

    /// <summary>Members of the current generation that have not sent SyncGroup yet.</summary>
    private readonly HashSet<string> _pendingSyncMembers = new(StringComparer.Ordinal);

    /// <summary>Whether a new member joined during the initial delayed join (extends the delay, generation 0 only).</summary>
    private bool _newMemberAdded;

    /// <summary>The topics the members subscribe to (consumer protocol), computed per generation; null when not known.</summary>
    private IReadOnlySet<string>? _subscribedTopics;

    /// <summary>Creates a group in state Empty; a restored group continues its stored protocol type and generation, and a stored stable generation comes back Stable with its members.</summary>
    public ConsumerGroup(string groupId, IGroupHost host, StoredGroup? restored = null)
    {
        GroupId = groupId;
        _host = host;
        StateTimestamp = host.Now;
        ProtocolType = restored?.ProtocolType;
        GenerationId = restored?.GenerationId ?? 0;
        _subscribedTopics = ProtocolType == ConsumerProtocolType ? new HashSet<string>(StringComparer.Ordinal) : null;
        if (restored?.Stable is { } stable)
        {
            Restore(stable);
        }
    }

    /// <summary>The group id.</summary>
    public string GroupId { get; }

    /// <summary>The current state (a snapshot: it may change as soon as it is read).</summary>
    public GroupState State { get; private set; } = GroupState.Empty;

    /// <summary>When the group entered <see cref="State"/> (offsets of an empty group expire from there).</summary>
    private DateTimeOffset StateTimestamp { get; set; }

    /// <summary>The generation; bumped when a rebalance completes.</summary>
    private int GenerationId { get; set; }

    /// <summary>The protocol type, set by the first member (e.g. <c>consumer</c>), or null for offsets-only groups.</summary>
    private string? ProtocolType { get; set; }

    /// <summary>The protocol selected for the current generation, or null.</summary>
    private string? ProtocolName { get; set; }

    /// <summary>The leader's member id, or null when the group has no members.</summary>
    private string? LeaderId { get; set; }

    private DateTimeOffset Now => _host.Now;

    private ILogger Logger => _host.Logger;

    private GroupCoordinatorOptions Options => _host.Options;

    private int Size => _members.Count;

    /// <summary>
    /// The group's rebalance timeout: the largest of its members', and 0 without members or when every
    /// member sent a negative one (Kafka folds from 0 too).
    /// </summary>
    private int RebalanceTimeoutMs => _members.Values.Aggregate(0, static (max, m) => Math.Max(max, m.RebalanceTimeoutMs));

    /// <summary>True when every member has rejoined and no member is still between the two join steps.</summary>
    private bool HasAllMembersJoined => _members.Values.All(m => m.IsAwaitingJoin) && _pendingMembers.Count == 0;

    /// <summary>Whether a rebalance may start now (Kafka's <c>canRebalance</c>).</summary>
    private bool CanRebalance => State is GroupState.Stable or GroupState.CompletingRebalance or GroupState.Empty;

    private bool Has(string memberId) => _members.ContainsKey(memberId);

    private GroupMember? Get(string memberId) => _members.GetValueOrDefault(memberId);

    private bool IsLeader(string memberId) => LeaderId == memberId;

    private string? StaticMemberId(string? groupInstanceId) =>
        groupInstanceId is null ? null : _staticMembers.GetValueOrDefault(groupInstanceId);

    /// <summary>Adds a member; the first one fixes the protocol type and becomes leader.</summary>
    private void Add(GroupMember member)
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
    private void Remove(string memberId)
    {
        if (!_members.Remove(memberId, out var member))
        {
            return;
        }

        CountProtocols(member, -1);
        member.StopSessionTimer();
        _pendingSyncMembers.Remove(memberId);
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
    private void UpdateProtocols(GroupMember member, IReadOnlyList<GroupProtocol> protocols)
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
    private GroupMember ReplaceStaticMember(GroupMember old, string newMemberId)
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
        if (_pendingSyncMembers.Remove(old.MemberId))
        {
            _pendingSyncMembers.Add(newMemberId);
        }

        if (LeaderId == old.MemberId)
        {
            LeaderId = newMemberId;
        }

        return replacement;
    }

    /// <summary>
    /// Makes sure the leader is a member that rejoined (Kafka's <c>maybeElectNewJoinedLeader</c>);
    /// false when no member rejoined at all.
    /// </summary>
    private bool MaybeElectNewJoinedLeader()
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
    private void InitNextGeneration()
    {
        GenerationId++;
        if (_members.Count > 0)
        {
            ProtocolName = SelectProtocol();
            _subscribedTopics = ComputeSubscribedTopics();
            TransitionTo(GroupState.CompletingRebalance);
        }
        else
        {
            ProtocolName = null;
            _subscribedTopics = ComputeSubscribedTopics();
            TransitionTo(GroupState.Empty);
        }

        _pendingSyncMembers.Clear();
    }

    /// <summary>Moves to <paramref name="state"/>; throws on a transition Kafka does not allow (a coordinator bug).</summary>
    private void TransitionTo(GroupState state)
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
        StateTimestamp = Now;
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
