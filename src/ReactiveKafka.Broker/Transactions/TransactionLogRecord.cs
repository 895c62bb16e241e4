using System.Collections.Immutable;
using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Broker.Transactions;

/// <summary>
/// One entry of the transaction log (<c>&lt;data&gt;/__transaction_state/transactions.log</c>), Kafka's
/// <c>TransactionLogKey</c>/<c>TransactionLogValue</c> in a frame of our own:
/// <c>int32 LE payload length | uint32 LE CRC32C(payload) | payload</c>. The payload is a one-byte kind, the
/// transactional id (7-bit-length-prefixed UTF-8) and, for <see cref="Metadata"/>, the whole metadata (integers
/// little endian). The latest entry per transactional id wins; a tombstone forgets the id.
/// </summary>
internal abstract record TransactionLogRecord(string TransactionalId)
{
    /// <summary>The largest payload the reader accepts; anything larger is a torn or corrupt frame.</summary>
    public const int MaxPayloadLength = 16 << 20;

    private enum Kind : byte
    {
        Metadata = 1,
        Tombstone = 2,
    }

    /// <summary>The transactional id's metadata after a transition.</summary>
    public sealed record Metadata(TransactionMetadata Value) : TransactionLogRecord(Value.TransactionalId);

    /// <summary>The transactional id expired (Kafka's tombstone in <c>__transaction_state</c>).</summary>
    public sealed record Tombstone(string TransactionalId) : TransactionLogRecord(TransactionalId);

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
    public static TransactionLogRecord FromPayload(byte[] payload)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload), System.Text.Encoding.UTF8);
            var kind = (Kind)reader.ReadByte();
            var transactionalId = reader.ReadString();
            return kind switch
            {
                Kind.Metadata => new Metadata(ReadMetadata(reader, transactionalId)),
                Kind.Tombstone => new Tombstone(transactionalId),
                _ => throw new InvalidDataException($"Unknown transaction log record kind {kind}."),
            };
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Truncated transaction log record.", e);
        }
    }

    private static TransactionMetadata ReadMetadata(BinaryReader reader, string transactionalId)
    {
        var producerId = reader.ReadInt64();
        var previousProducerId = reader.ReadInt64();
        var epoch = reader.ReadInt16();
        var lastEpoch = reader.ReadInt16();
        var timeoutMs = reader.ReadInt32();
        var state = (TransactionState)reader.ReadByte();
        if (!Enum.IsDefined(state) || state is TransactionState.Dead or TransactionState.PrepareEpochFence)
        {
            throw new InvalidDataException($"Transaction state {state} is never persisted.");
        }

        var partitions = ImmutableSortedSet.CreateBuilder<TransactionPartition>();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            partitions.Add(new TransactionPartition(reader.ReadString(), reader.ReadInt32()));
        }

        var groups = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            groups.Add(reader.ReadString());
        }

        return new TransactionMetadata(transactionalId, producerId, previousProducerId, epoch, lastEpoch, timeoutMs, state,
            partitions.ToImmutable(), groups.ToImmutable(), reader.ReadInt64(), reader.ReadInt64());
    }

    /// <summary>Writes this record's payload to <paramref name="writer"/> (UTF-8 strings).</summary>
    public void WritePayload(BinaryWriter writer)
    {
        switch (this)
        {
            case Metadata { Value: var m }:
                writer.Write((byte)Kind.Metadata);
                writer.Write(TransactionalId);
                writer.Write(m.ProducerId);
                writer.Write(m.PreviousProducerId);
                writer.Write(m.ProducerEpoch);
                writer.Write(m.LastProducerEpoch);
                writer.Write(m.TimeoutMs);
                writer.Write((byte)m.State);
                writer.Write(m.Partitions.Count);
                foreach (var partition in m.Partitions)
                {
                    writer.Write(partition.Topic);
                    writer.Write(partition.Partition);
                }

                writer.Write(m.Groups.Count);
                foreach (var group in m.Groups)
                {
                    writer.Write(group);
                }

                writer.Write(m.StartTimestampMs);
                writer.Write(m.LastUpdateTimestampMs);
                break;
            case Tombstone:
                writer.Write((byte)Kind.Tombstone);
                writer.Write(TransactionalId);
                break;
            default:
                throw new InvalidOperationException($"Unknown record {GetType().Name}.");
        }
    }
}
