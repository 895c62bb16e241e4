namespace ReactiveKafka.Broker.Storage.StateLog;

/// <summary>
/// What a <see cref="KeyedStateLog{TRecord}"/> needs from the store that owns it: the record codec, the in-memory state
/// the records build, and the records that rebuild that state (the live key set) for compaction.
/// </summary>
/// <typeparam name="TRecord">The store's record type.</typeparam>
/// <remarks>
/// The log calls <see cref="Apply"/>, <see cref="LiveCount"/> and <see cref="LiveRecords"/> from one thread at a time
/// (recovery, then its flusher), so the state they see is exactly what the file holds; the owner locks against its own
/// readers.
/// </remarks>
internal interface IStateLogMachine<TRecord>
{
    /// <summary>The largest payload the reader accepts; anything larger is a torn or corrupt frame.</summary>
    int MaxPayloadLength { get; }

    /// <summary>The number of records <see cref="LiveRecords"/> would return (asked often: it should be cheap).</summary>
    long LiveCount { get; }

    /// <summary>Writes one record's payload to <paramref name="writer"/> (the log adds the frame; the writer is UTF-8 and reused).</summary>
    void Encode(TRecord record, BinaryWriter writer);

    /// <summary>Decodes a payload whose CRC was already checked; throws <see cref="InvalidDataException"/> when malformed.</summary>
    TRecord Decode(byte[] payload);

    /// <summary>Applies records that are now in the file (written, and fsync'd under the durable policy), in log order.</summary>
    void Apply(IReadOnlyList<TRecord> records);

    /// <summary>
    /// The records that rebuild the current state from an empty one, in an order that replays to the same state: the
    /// latest value per key, without deletes. Called on the flusher, which waits meanwhile: copy what is needed and leave
    /// the rest to the enumeration, which may run on another thread (the copy must not see later changes).
    /// </summary>
    IReadOnlyCollection<TRecord> LiveRecords();
}
