using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Broker.Groups;

/// <summary>A committed offset as the store keeps it.</summary>
/// <param name="Offset">The committed offset.</param>
/// <param name="LeaderEpoch">The committed leader epoch, or -1.</param>
/// <param name="Metadata">The client's metadata (empty when none).</param>
/// <param name="CommitTimestamp">When it was committed.</param>
/// <param name="ExpireTimestamp">An explicit expiry (OffsetCommit v2–4 retention time), or null for the broker's retention.</param>
internal sealed record CommittedOffset(long Offset, int LeaderEpoch, string Metadata, DateTimeOffset CommitTimestamp, DateTimeOffset? ExpireTimestamp = null);

/// <summary>
/// One entry of the <c>__consumer_offsets</c> log. Framing on disk:
/// <c>int32 LE payload length | uint32 LE CRC32C(payload) | payload</c>; the payload starts with a
/// one-byte kind and then the kind's fields (strings 7-bit-length-prefixed UTF-8, integers little endian).
/// </summary>
internal abstract record OffsetLogRecord(string GroupId)
{
    /// <summary>The largest payload the reader accepts; anything larger is a torn or corrupt frame.</summary>
    public const int MaxPayloadLength = 1 << 20;

    private enum Kind : byte
    {
        Commit = 1,
        OffsetTombstone = 2,
        Group = 3,
        GroupTombstone = 4,
        TransactionalCommit = 5,
        TransactionEnd = 6,

        /// <summary>A <see cref="Group"/> record with its stable generation's members (written since kind 3 could not hold them).</summary>
        GroupGeneration = 7,
    }

    /// <summary>A committed offset.</summary>
    public sealed record Commit(string GroupId, GroupTopicPartition Partition, CommittedOffset Value) : OffsetLogRecord(GroupId);

    /// <summary>Removes one partition's offset (expiry or topic deletion).</summary>
    public sealed record OffsetTombstone(string GroupId, GroupTopicPartition Partition) : OffsetLogRecord(GroupId);

    /// <summary>
    /// The group's protocol type and generation, and for a Stable group its members and assignments (Kafka's group
    /// metadata record). Kind 3 on disk without members, kind 7 with them.
    /// </summary>
    public sealed record Group(string GroupId, StoredGroup Value) : OffsetLogRecord(GroupId);

    /// <summary>Removes the group and all its offsets.</summary>
    public sealed record GroupTombstone(string GroupId) : OffsetLogRecord(GroupId);

    /// <summary>
    /// An offset committed inside a transaction (TxnOffsetCommit): pending, invisible to OffsetFetch, until the
    /// producer's <see cref="TransactionEnd"/> commits it (Kafka's transactional offset commit record).
    /// </summary>
    public sealed record TransactionalCommit(string GroupId, long ProducerId, GroupTopicPartition Partition, CommittedOffset Value) : OffsetLogRecord(GroupId);

    /// <summary>The producer's transaction ended: its pending offsets of the group become committed or vanish (Kafka's marker in <c>__consumer_offsets</c>).</summary>
    public sealed record TransactionEnd(string GroupId, long ProducerId, bool Committed) : OffsetLogRecord(GroupId);

    /// <summary>Encodes this record as a complete frame (<see cref="StateLogFrame"/>).</summary>
    public byte[] ToFrame() => StateLogFrame.Encode(ToPayload());

    /// <summary>Encodes this record's payload.</summary>
    public byte[] ToPayload()
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            WritePayload(writer);
        }

        return payload.ToArray();
    }

    /// <summary>Decodes a payload whose CRC was already checked; throws <see cref="InvalidDataException"/> when malformed.</summary>
    public static OffsetLogRecord FromPayload(byte[] payload)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload), System.Text.Encoding.UTF8);
            var kind = (Kind)reader.ReadByte();
            var groupId = reader.ReadString();
            return kind switch
            {
                Kind.Commit => new Commit(groupId, ReadPartition(reader), ReadOffset(reader)),
                Kind.TransactionalCommit => new TransactionalCommit(groupId, reader.ReadInt64(), ReadPartition(reader), ReadOffset(reader)),
                Kind.TransactionEnd => new TransactionEnd(groupId, reader.ReadInt64(), reader.ReadBoolean()),
                Kind.OffsetTombstone => new OffsetTombstone(groupId, ReadPartition(reader)),
                Kind.Group => new Group(groupId, new StoredGroup(ReadNullable(reader), reader.ReadInt32())),
                Kind.GroupGeneration => new Group(groupId, new StoredGroup(ReadNullable(reader), reader.ReadInt32(), ReadGeneration(reader))),
                Kind.GroupTombstone => new GroupTombstone(groupId),
                _ => throw new InvalidDataException($"Unknown offset log record kind {kind}."),
            };
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Truncated offset log record.", e);
        }
    }

    /// <summary>Writes this record's payload to <paramref name="writer"/> (UTF-8 strings).</summary>
    public void WritePayload(BinaryWriter writer)
    {
        switch (this)
        {
            case Commit c:
                Begin(writer, Kind.Commit);
                WritePartition(writer, c.Partition);
                WriteOffset(writer, c.Value);
                break;
            case TransactionalCommit t:
                Begin(writer, Kind.TransactionalCommit);
                writer.Write(t.ProducerId);
                WritePartition(writer, t.Partition);
                WriteOffset(writer, t.Value);
                break;
            case TransactionEnd e:
                Begin(writer, Kind.TransactionEnd);
                writer.Write(e.ProducerId);
                writer.Write(e.Committed);
                break;
            case OffsetTombstone t:
                Begin(writer, Kind.OffsetTombstone);
                WritePartition(writer, t.Partition);
                break;
            case Group g:
                Begin(writer, g.Value.Stable is null ? Kind.Group : Kind.GroupGeneration);
                WriteNullable(writer, g.Value.ProtocolType);
                writer.Write(g.Value.GenerationId);
                if (g.Value.Stable is { } stable)
                {
                    WriteGeneration(writer, stable);
                }

                break;
            case GroupTombstone:
                Begin(writer, Kind.GroupTombstone);
                break;
            default:
                throw new InvalidOperationException($"Unknown record {GetType().Name}.");
        }
    }

    private void Begin(BinaryWriter writer, Kind kind)
    {
        writer.Write((byte)kind);
        writer.Write(GroupId);
    }

    private static void WriteNullable(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadNullable(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static void WriteBytes(BinaryWriter writer, ReadOnlyMemory<byte> value)
    {
        writer.Write(value.Length);
        writer.Write(value.Span);
    }

    private static ReadOnlyMemory<byte> ReadBytes(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > MaxPayloadLength)
        {
            throw new InvalidDataException($"Invalid byte string length {length} in an offset log record.");
        }

        var bytes = reader.ReadBytes(length);
        return bytes.Length == length ? bytes : throw new EndOfStreamException();
    }

    private static void WriteGeneration(BinaryWriter writer, StoredGeneration generation)
    {
        writer.Write(generation.ProtocolName);
        writer.Write(generation.LeaderId);
        writer.Write(generation.Members.Count);
        foreach (var member in generation.Members)
        {
            writer.Write(member.MemberId);
            WriteNullable(writer, member.GroupInstanceId);
            writer.Write(member.ClientId);
            writer.Write(member.ClientHost);
            writer.Write(member.RebalanceTimeoutMs);
            writer.Write(member.SessionTimeoutMs);
            WriteBytes(writer, member.Subscription);
            WriteBytes(writer, member.Assignment);
        }
    }

    private static StoredGeneration ReadGeneration(BinaryReader reader)
    {
        var protocolName = reader.ReadString();
        var leaderId = reader.ReadString();
        var count = reader.ReadInt32();
        if (count < 0 || count > MaxPayloadLength)
        {
            throw new InvalidDataException($"Invalid member count {count} in an offset log record.");
        }

        var members = new List<StoredMember>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            members.Add(new StoredMember(
                reader.ReadString(), ReadNullable(reader), reader.ReadString(), reader.ReadString(),
                reader.ReadInt32(), reader.ReadInt32(), ReadBytes(reader), ReadBytes(reader)));
        }

        return new StoredGeneration(protocolName, leaderId, members);
    }

    private static void WritePartition(BinaryWriter writer, GroupTopicPartition partition)
    {
        writer.Write(partition.Topic);
        writer.Write(partition.Partition);
    }

    private static GroupTopicPartition ReadPartition(BinaryReader reader) => new(reader.ReadString(), reader.ReadInt32());

    private static void WriteOffset(BinaryWriter writer, CommittedOffset value)
    {
        writer.Write(value.Offset);
        writer.Write(value.LeaderEpoch);
        writer.Write(value.Metadata);
        writer.Write(value.CommitTimestamp.ToUnixTimeMilliseconds());
        writer.Write(value.ExpireTimestamp?.ToUnixTimeMilliseconds() ?? -1L);
    }

    private static CommittedOffset ReadOffset(BinaryReader reader) => new(
        reader.ReadInt64(),
        reader.ReadInt32(),
        reader.ReadString(),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64()),
        reader.ReadInt64() is var expire and >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(expire) : null);
}
