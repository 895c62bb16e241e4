using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Groups;

/// <summary>The outcome of deleting one group.</summary>
/// <param name="GroupId">The group id.</param>
/// <param name="Error">NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP or INVALID_GROUP_ID.</param>
internal sealed record DeletedGroup(string GroupId, ErrorCode Error);
