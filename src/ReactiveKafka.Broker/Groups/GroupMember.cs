namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// One member of a classic group (Kafka's <c>MemberMetadata</c>). Not thread-safe: only touched by
/// its <see cref="ConsumerGroup"/>, under the group's lock.
/// </summary>
internal sealed class GroupMember(
    string memberId,
    string? groupInstanceId,
    string clientId,
    string clientHost,
    int rebalanceTimeoutMs,
    int sessionTimeoutMs,
    string protocolType,
    IReadOnlyList<GroupProtocol> protocols)
{
    /// <summary>The member id the coordinator assigned.</summary>
    public string MemberId { get; } = memberId;

    /// <summary>The static member's <c>group.instance.id</c>, or null.</summary>
    public string? GroupInstanceId { get; } = groupInstanceId;

    /// <summary>The client id it (last) joined with.</summary>
    public string ClientId { get; set; } = clientId;

    /// <summary>The client's address.</summary>
    public string ClientHost { get; set; } = clientHost;

    /// <summary>The rebalance timeout it (last) joined with.</summary>
    public int RebalanceTimeoutMs { get; set; } = rebalanceTimeoutMs;

    /// <summary>The session timeout it (last) joined with.</summary>
    public int SessionTimeoutMs { get; set; } = sessionTimeoutMs;

    /// <summary>The protocol type it joined with.</summary>
    public string ProtocolType { get; } = protocolType;

    /// <summary>Its protocols in order of preference.</summary>
    public IReadOnlyList<GroupProtocol> Protocols { get; set; } = protocols;

    /// <summary>Its assignment in the current generation (empty until the leader syncs).</summary>
    public ReadOnlyMemory<byte> Assignment { get; set; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>
    /// True from its first join until that join completes. New members are expired by
    /// <see cref="GroupCoordinatorOptions.NewMemberJoinTimeout"/> even while their join is pending.
    /// </summary>
    public bool IsNew { get; set; }

    /// <summary>The pending JoinGroup response, or null when the member is not waiting for one.</summary>
    public TaskCompletionSource<JoinGroupResult>? JoinWaiter { get; set; }

    /// <summary>The pending SyncGroup response, or null when the member is not waiting for one.</summary>
    public TaskCompletionSource<SyncGroupResult>? SyncWaiter { get; set; }

    /// <summary>Whether a JoinGroup of this member is waiting for the rebalance to complete.</summary>
    public bool IsAwaitingJoin => JoinWaiter is not null;

    /// <summary>Whether a SyncGroup of this member is waiting for the leader's assignment.</summary>
    public bool IsAwaitingSync => SyncWaiter is not null;

    /// <summary>The session-expiry timer; rescheduled by every heartbeat, join and sync.</summary>
    public ITimer? SessionTimer { get; set; }

    /// <summary>Bumped on every reschedule so that a timer callback already in flight knows it is stale.</summary>
    public long SessionEpoch { get; set; }

    /// <summary>The metadata this member sent for <paramref name="protocolName"/> (empty if it does not support it).</summary>
    public ReadOnlyMemory<byte> MetadataFor(string protocolName)
    {
        foreach (var protocol in Protocols)
        {
            if (protocol.Name == protocolName)
            {
                return protocol.Metadata;
            }
        }

        return ReadOnlyMemory<byte>.Empty;
    }

    /// <summary>Whether <paramref name="other"/> lists the same protocols, in the same order, with the same metadata.</summary>
    public bool Matches(IReadOnlyList<GroupProtocol> other)
    {
        if (other.Count != Protocols.Count)
        {
            return false;
        }

        for (var i = 0; i < other.Count; i++)
        {
            if (other[i].Name != Protocols[i].Name || !other[i].Metadata.Span.SequenceEqual(Protocols[i].Metadata.Span))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>This member's vote: its most preferred protocol among <paramref name="candidates"/>.</summary>
    public string Vote(IReadOnlySet<string> candidates)
    {
        foreach (var protocol in Protocols)
        {
            if (candidates.Contains(protocol.Name))
            {
                return protocol.Name;
            }
        }

        throw new InvalidOperationException($"Member {MemberId} does not support any of the candidate protocols.");
    }

    /// <summary>Stops the session timer (the member left or was replaced).</summary>
    public void StopSessionTimer()
    {
        SessionEpoch++;
        SessionTimer?.Dispose();
        SessionTimer = null;
    }
}
