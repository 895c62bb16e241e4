using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>DescribeGroups, ListGroups and DeleteGroups.</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>Describes groups; an unknown group is reported as Dead with no error, as Kafka's classic coordinator does.</summary>
    public IReadOnlyList<DescribedGroup> DescribeGroups(IEnumerable<string> groupIds) =>
        [.. groupIds.Select(id => _groups.TryGetValue(id, out var group)
            ? group.Describe()
            : new DescribedGroup(ErrorCode.None, id, GroupState.Dead.ToKafkaName(), "", "", []))];

    /// <summary>
    /// Lists groups, optionally only those in <paramref name="statesFilter"/> (state names, case-insensitive;
    /// unknown names match nothing) and of <paramref name="typesFilter"/> (group types; every group here is <c>classic</c>).
    /// </summary>
    public IReadOnlyList<ListedGroup> ListGroups(IReadOnlyCollection<string>? statesFilter = null, IReadOnlyCollection<string>? typesFilter = null)
    {
        if (typesFilter is { Count: > 0 } && !typesFilter.Contains("classic", StringComparer.OrdinalIgnoreCase))
        {
            return [];
        }

        var states = statesFilter is { Count: > 0 } ? statesFilter.Select(GroupStateNames.Parse).ToHashSet() : null;
        return [.. _groups.Values.Select(g => g.List(states)).OfType<ListedGroup>()];
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
                error = group.Delete(out var write);
                if (write is not null)
                {
                    writes.Add(write);
                }
            }

            results.Add(new DeletedGroup(groupId, error));
        }

        await Task.WhenAll(writes).WaitAsync(cancellationToken).ConfigureAwait(false);
        return results;
    }
}
