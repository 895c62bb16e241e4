using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Broker.Groups;

/// <summary>
/// The classic-protocol group coordinator of the single-node broker: JoinGroup, SyncGroup,
/// Heartbeat, LeaveGroup, OffsetCommit/OffsetFetch/OffsetDelete, DescribeGroups, ListGroups and
/// DeleteGroups, with Apache Kafka's <c>GroupCoordinator</c> semantics as clients observe them.
/// </summary>
/// <remarks>
/// <para><b>Who owns what.</b> The coordinator keeps the map of groups, the offset store, the clock
/// and its timers (the retention pass, and the timers it schedules for the groups through
/// <see cref="IGroupHost"/>); it validates what needs no group, finds or creates the group and hands
/// the request to it. Each <see cref="ConsumerGroup"/> owns its state and every transition on it, behind
/// its own private lock.</para>
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
/// <para><b>Timeouts</b>: the <i>session timeout</i> per member, restarted by every heartbeat, join,
/// sync and commit — on expiry the member is removed and the group rebalances (members with a join or
/// sync in flight are exempt, as in Kafka, except new members, who get
/// <see cref="GroupCoordinatorOptions.NewMemberJoinTimeout"/>); a member id handed out with
/// MEMBER_ID_REQUIRED expires after the session timeout unless it joins; the <i>rebalance
/// timeout</i> (the largest of the members', at least 0) bounds PreparingRebalance, and after the join
/// it bounds how long members may take to send SyncGroup (Kafka's pending-sync expiry: a member that
/// joined with a rebalance timeout of 0 must sync at once, in Kafka too); the <i>initial rebalance
/// delay</i> makes the first rebalance of an empty group wait for more members (extended while new
/// ones arrive, up to the rebalance timeout); the <i>retention check</i> removes expired offsets and
/// empty groups.</para>
/// <para><b>Concurrency.</b> A lock per group, held only for short synchronous sections, gives the
/// same one-owner ordering as a loop per group with less machinery. Requests that must wait (JoinGroup
/// during a rebalance, SyncGroup of a follower) park a completion source. Cancelling a wait (the
/// connection closed) only abandons the caller's task; the group proceeds exactly as Kafka does when a
/// response cannot be delivered (the member's session then expires). Offset writes are enqueued under
/// the group's lock, so the log records decisions in order, and awaited (fsync) outside it.</para>
/// </remarks>
internal sealed partial class GroupCoordinator : IGroupHost, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly GroupCoordinatorOptions _options;
    private readonly OffsetStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _retentionTimer;
    private volatile bool _disposed;

    /// <summary>Creates a coordinator that owns <paramref name="store"/> and restores its groups: Stable ones with their members (fresh session timers), the others Empty.</summary>
    public GroupCoordinator(OffsetStore store, GroupCoordinatorOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _store = store;
        _options = options ?? new GroupCoordinatorOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        foreach (var groupId in store.GroupIds)
        {
            _groups[groupId] = new ConsumerGroup(groupId, this, store.GetGroup(groupId));
        }

        _retentionTimer = _time.CreateTimer(
            static state => ((GroupCoordinator)state!).RemoveExpiredOffsets(),
            this,
            _options.OffsetsRetentionCheckInterval,
            _options.OffsetsRetentionCheckInterval);
    }

    /// <inheritdoc />
    GroupCoordinatorOptions IGroupHost.Options => _options;

    /// <inheritdoc />
    ILogger IGroupHost.Logger => _logger;

    /// <inheritdoc />
    DateTimeOffset IGroupHost.Now => _time.GetUtcNow();

    /// <summary>
    /// Opens the offset store under <paramref name="dataDirectory"/> (flushed and compacted as <paramref name="storage"/>
    /// says) and creates a coordinator over it.
    /// </summary>
    public static GroupCoordinator Open(string dataDirectory, GroupCoordinatorOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null, StateLogOptions? storage = null) =>
        new(OffsetStore.Open(dataDirectory, logger, storage), options, timeProvider, logger);

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
            group.Shutdown();
        }

        await _store.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    ITimer IGroupHost.Schedule(TimeSpan due, Action callback) =>
        _time.CreateTimer(
            static state =>
            {
                var (coordinator, callback) = ((GroupCoordinator, Action))state!;
                if (!coordinator._disposed)
                {
                    callback();
                }
            },
            (this, callback),
            due,
            Timeout.InfiniteTimeSpan);

    /// <inheritdoc />
    Task IGroupHost.Append(IReadOnlyList<OffsetLogRecord> records) => Append(records);

    /// <inheritdoc />
    void IGroupHost.AppendInBackground(IReadOnlyList<OffsetLogRecord> records) => Observe(Append(records));

    /// <inheritdoc />
    IReadOnlyList<KeyValuePair<GroupTopicPartition, CommittedOffset>> IGroupHost.GetOffsets(string groupId) => _store.GetOffsets(groupId);

    /// <inheritdoc />
    void IGroupHost.Forget(ConsumerGroup group) => _groups.TryRemove(KeyValuePair.Create(group.GroupId, group));

    /// <summary>Appends to the store; once the store is closed (a timer or request racing shutdown) the task faults instead of throwing.</summary>
    private Task Append(IReadOnlyList<OffsetLogRecord> records)
    {
        try
        {
            return _store.Append(records);
        }
        catch (ObjectDisposedException e)
        {
            return Task.FromException(e);
        }
    }

    /// <summary>The group, created Empty if it does not exist yet.</summary>
    private ConsumerGroup GetOrCreate(string groupId) =>
        _groups.GetOrAdd(groupId, static (id, host) => new ConsumerGroup(id, host), (IGroupHost)this);

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
}
