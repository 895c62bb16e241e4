using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// The classic-protocol group coordinator of the single-node broker: JoinGroup, SyncGroup,
/// Heartbeat, LeaveGroup, OffsetCommit/OffsetFetch, DescribeGroups, ListGroups and DeleteGroups,
/// with Apache Kafka's <c>GroupCoordinator</c> semantics as clients observe them.
/// </summary>
/// <remarks>
/// <para><b>States.</b> <c>Empty</c> (no members, maybe offsets) → first join →
/// <c>PreparingRebalance</c> (collect joins) → every known member rejoined, or the rebalance timeout
/// expired (dynamic members that did not rejoin are removed) → the generation is bumped, a protocol
/// selected by vote, join responses sent (members list to the leader only) →
/// <c>CompletingRebalance</c> (wait for the leader's SyncGroup; followers' SyncGroups wait) →
/// leader's assignment stored and handed out → <c>Stable</c>. A join that changes metadata, a
/// leader's rejoin, a new member, a leave or an expired session moves Stable or CompletingRebalance
/// back to PreparingRebalance (waiting syncs get REBALANCE_IN_PROGRESS, heartbeats report it). A
/// rebalance that ends with no members goes to <c>Empty</c>; deletion or retention moves an Empty
/// group to <c>Dead</c> and forgets it.</para>
/// <para><b>Timeouts</b> (all on <see cref="TimeProvider"/> timers, enforced here):
/// the <i>session timeout</i> per member, restarted by every heartbeat, join, sync and commit —
/// on expiry the member is removed and the group rebalances (members with a join or sync in
/// flight are exempt, as in Kafka, except new members, who get
/// <see cref="GroupCoordinatorOptions.NewMemberJoinTimeout"/>); a member id handed out with
/// MEMBER_ID_REQUIRED expires after the session timeout unless it joins; the <i>rebalance
/// timeout</i> (the largest of the members') bounds PreparingRebalance, and after the join it
/// bounds how long members may take to send SyncGroup; the <i>initial rebalance delay</i> makes the
/// first rebalance of an empty group wait for more members (extended while new ones arrive, up to the
/// rebalance timeout); the <i>retention check</i> removes expired offsets and empty groups.</para>
/// <para><b>Concurrency.</b> Each group is guarded by its own lock held only for short synchronous
/// sections — never across an await or I/O — instead of a per-group loop: it gives the same
/// one-owner ordering with less machinery. Requests that must wait (JoinGroup during a rebalance,
/// SyncGroup of a follower) park a <see cref="TaskCompletionSource{TResult}"/> created with
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so completing it inside the lock
/// never runs the waiter's continuation there. Cancelling a wait (the connection closed) only
/// abandons the caller's task; the group proceeds exactly as Kafka does when a response cannot be
/// delivered (the member's session then expires). Offset writes are enqueued under the group lock, so
/// the log records decisions in order, and awaited (fsync) outside it.</para>
/// </remarks>
internal sealed partial class GroupCoordinator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly GroupCoordinatorOptions _options;
    private readonly OffsetStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _retentionTimer;
    private volatile bool _disposed;

    /// <summary>Creates a coordinator that owns <paramref name="store"/> and restores its groups as Empty.</summary>
    public GroupCoordinator(OffsetStore store, GroupCoordinatorOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _store = store;
        _options = options ?? new GroupCoordinatorOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        foreach (var groupId in store.GroupIds)
        {
            var stored = store.GetGroup(groupId);
            _groups[groupId] = new ConsumerGroup(groupId, Now)
            {
                ProtocolType = stored?.ProtocolType,
                GenerationId = stored?.GenerationId ?? 0,
            };
        }

        _retentionTimer = _time.CreateTimer(
            static state => ((GroupCoordinator)state!).RemoveExpiredOffsets(),
            this,
            _options.OffsetsRetentionCheckInterval,
            _options.OffsetsRetentionCheckInterval);
    }

    /// <summary>Opens the offset store under <paramref name="dataDirectory"/> and creates a coordinator over it.</summary>
    public static GroupCoordinator Open(string dataDirectory, GroupCoordinatorOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null) =>
        new(OffsetStore.Open(dataDirectory, logger), options, timeProvider, logger);

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Describes groups; an unknown group is reported as Dead with no error, as Kafka's classic coordinator does.</summary>
    public IReadOnlyList<DescribedGroup> DescribeGroups(IEnumerable<string> groupIds) =>
        [.. groupIds.Select(Describe)];

    /// <summary>
    /// Lists groups, optionally only those in <paramref name="statesFilter"/> (state names, case-insensitive)
    /// and of <paramref name="typesFilter"/> (group types; every group here is <c>classic</c>).
    /// </summary>
    public IReadOnlyList<ListedGroup> ListGroups(IReadOnlyCollection<string>? statesFilter = null, IReadOnlyCollection<string>? typesFilter = null)
    {
        if (typesFilter is { Count: > 0 } && !typesFilter.Contains("classic", StringComparer.OrdinalIgnoreCase))
        {
            return [];
        }

        var states = statesFilter is { Count: > 0 } ? statesFilter.Select(GroupStateNames.Parse).ToHashSet() : null;
        var listed = new List<ListedGroup>();
        foreach (var group in _groups.Values)
        {
            lock (group.Gate)
            {
                if (group.State != GroupState.Dead && (states is null || states.Contains(group.State)))
                {
                    listed.Add(new ListedGroup(group.GroupId, group.ProtocolType ?? "", group.State.ToKafkaName()));
                }
            }
        }

        return listed;
    }

    /// <summary>
    /// Deletes groups and their offsets (tombstones fsync'd before this completes): GROUP_ID_NOT_FOUND
    /// for unknown groups, NON_EMPTY_GROUP while a group has members.
    /// </summary>
    public async ValueTask<IReadOnlyList<DeletedGroup>> DeleteGroupsAsync(IEnumerable<string> groupIds, CancellationToken cancellationToken = default)
    {
        var results = new List<DeletedGroup>();
        var writes = new List<Task>();
        foreach (var groupId in groupIds)
        {
            var error = ErrorCode.GroupIdNotFound;
            if (_groups.TryGetValue(groupId, out var group))
            {
                lock (group.Gate)
                {
                    error = group.State switch
                    {
                        GroupState.Dead => ErrorCode.GroupIdNotFound,
                        GroupState.Empty => ErrorCode.None,
                        _ => ErrorCode.NonEmptyGroup,
                    };
                    if (error == ErrorCode.None)
                    {
                        writes.Add(MarkDead(group));
                    }
                }
            }

            results.Add(new DeletedGroup(groupId, error));
        }

        await Task.WhenAll(writes).WaitAsync(cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Stops all timers, answers parked requests with COORDINATOR_NOT_AVAILABLE and closes the offset store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _retentionTimer.DisposeAsync().ConfigureAwait(false);
        foreach (var group in _groups.Values)
        {
            lock (group.Gate)
            {
                group.StopAllTimers();
                foreach (var member in group.Members)
                {
                    CompleteJoin(member, JoinGroupResult.Failed(ErrorCode.CoordinatorNotAvailable, member.MemberId));
                    CompleteSync(member, SyncGroupResult.Failed(ErrorCode.CoordinatorNotAvailable));
                }
            }
        }

        await _store.DisposeAsync().ConfigureAwait(false);
    }

    private DescribedGroup Describe(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return new DescribedGroup(ErrorCode.None, groupId, GroupState.Dead.ToKafkaName(), "", "", []);
        }

        lock (group.Gate)
        {
            var stable = group.State == GroupState.Stable;
            var protocol = stable ? group.ProtocolName ?? "" : "";

            // Like Kafka, metadata and assignments are only meaningful (and only shown) when Stable.
            var members = group.Members.Select(m => new DescribedMember(
                m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                stable ? m.MetadataFor(protocol) : ReadOnlyMemory<byte>.Empty,
                stable ? m.Assignment : ReadOnlyMemory<byte>.Empty)).ToList();
            return new DescribedGroup(ErrorCode.None, groupId, group.State.ToKafkaName(), group.ProtocolType ?? "", protocol, members);
        }
    }

    /// <summary>Moves an Empty group to Dead, forgets it and enqueues its tombstone; caller holds the group lock.</summary>
    private Task MarkDead(ConsumerGroup group)
    {
        group.StopAllTimers();
        group.TransitionTo(GroupState.Dead, Now);
        _groups.TryRemove(KeyValuePair.Create(group.GroupId, group));
        return _store.Append(new OffsetLogRecord.GroupTombstone(group.GroupId));
    }

    /// <summary>Enqueues the group's protocol type and generation (not awaited: it only serves restarts).</summary>
    private void PersistGroup(ConsumerGroup group) =>
        Observe(_store.Append(new OffsetLogRecord.Group(group.GroupId, new StoredGroup(group.ProtocolType, group.GenerationId))));

    private void Observe(Task write) =>
        write.ContinueWith(
            static (t, state) => ((ILogger)state!).LogError(t.Exception, "Writing the consumer offsets log failed"),
            _logger,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private static ValueTask<T> Wait<T>(TaskCompletionSource<T> waiter, CancellationToken cancellationToken) =>
        waiter.Task.IsCompleted || !cancellationToken.CanBeCanceled
            ? new ValueTask<T>(waiter.Task)
            : new ValueTask<T>(waiter.Task.WaitAsync(cancellationToken));

    private static ErrorCode ValidateCurrentMember(ConsumerGroup group, string memberId, string? groupInstanceId)
    {
        // A static instance bound to another member id means this member was replaced: fenced.
        if (group.StaticMemberId(groupInstanceId) is { } current && current != memberId)
        {
            return ErrorCode.FencedInstanceId;
        }

        return group.Has(memberId) ? ErrorCode.None : ErrorCode.UnknownMemberId;
    }
}
