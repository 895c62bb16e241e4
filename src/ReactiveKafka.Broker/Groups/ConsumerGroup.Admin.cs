using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>What admin requests see and do: describe, list, delete, and the coordinator's shutdown.</summary>
internal sealed partial class ConsumerGroup
{
    /// <summary>The group as DescribeGroups reports it.</summary>
    public DescribedGroup Describe()
    {
        lock (_gate)
        {
            var stable = State == GroupState.Stable;
            var protocol = stable ? ProtocolName ?? "" : "";

            // Like Kafka, metadata and assignments are only meaningful (and only shown) when Stable.
            var members = _members.Values.Select(m => new DescribedMember(
                m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                stable ? m.MetadataFor(protocol) : ReadOnlyMemory<byte>.Empty,
                stable ? m.Assignment : ReadOnlyMemory<byte>.Empty)).ToList();
            return new DescribedGroup(ErrorCode.None, GroupId, State.ToKafkaName(), ProtocolType ?? "", protocol, members);
        }
    }

    /// <summary>The group as ListGroups reports it, or null when it is Dead or not in <paramref name="states"/> (null: any state).</summary>
    public ListedGroup? List(IReadOnlySet<GroupState?>? states)
    {
        lock (_gate)
        {
            return State != GroupState.Dead && (states is null || states.Contains(State))
                ? new ListedGroup(GroupId, ProtocolType ?? "", State.ToKafkaName())
                : null;
        }
    }

    /// <summary>
    /// DeleteGroups for this group: an Empty group becomes Dead, is forgotten and its tombstone enqueued
    /// (<paramref name="write"/>); NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND once Dead.
    /// </summary>
    public ErrorCode Delete(out Task? write)
    {
        lock (_gate)
        {
            write = null;
            var error = State switch
            {
                GroupState.Dead => ErrorCode.GroupIdNotFound,
                GroupState.Empty => ErrorCode.None,
                _ => ErrorCode.NonEmptyGroup,
            };
            if (error == ErrorCode.None)
            {
                write = _host.Append([MarkDead()]);
            }

            return error;
        }
    }

    /// <summary>Stops every timer and answers parked requests with COORDINATOR_NOT_AVAILABLE (the coordinator is closing).</summary>
    public void Shutdown()
    {
        lock (_gate)
        {
            StopAllTimers();
            foreach (var member in _members.Values)
            {
                CompleteJoin(member, JoinGroupResult.Failed(ErrorCode.CoordinatorNotAvailable, member.MemberId));
                CompleteSync(member, SyncGroupResult.Failed(ErrorCode.CoordinatorNotAvailable));
            }
        }
    }

    /// <summary>Moves an Empty group to Dead and has the coordinator forget it; returns the tombstone to write.</summary>
    private OffsetLogRecord MarkDead()
    {
        StopAllTimers();
        TransitionTo(GroupState.Dead);
        _host.Forget(this);
        return new OffsetLogRecord.GroupTombstone(GroupId);
    }
}
