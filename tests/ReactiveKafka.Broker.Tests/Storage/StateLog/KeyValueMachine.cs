using ReactiveKafka.Broker.Storage.StateLog;

namespace ReactiveKafka.Broker.Tests.Storage.StateLog;

/// <summary>A record of the test machine: a key's new value, or its deletion when <see cref="Value"/> is null.</summary>
internal sealed record KeyValue(string Key, string? Value);

/// <summary>The smallest keyed state: a dictionary, the latest value per key, null deletes.</summary>
internal sealed class KeyValueMachine : IStateLogMachine<KeyValue>
{
    private readonly Dictionary<string, string> _state = new(StringComparer.Ordinal);

    public int MaxPayloadLength => 1 << 16;

    public long LiveCount
    {
        get
        {
            lock (_state)
            {
                return _state.Count;
            }
        }
    }

    public int Applied { get; private set; }

    public IReadOnlyDictionary<string, string> State
    {
        get
        {
            lock (_state)
            {
                return new Dictionary<string, string>(_state);
            }
        }
    }

    public void Encode(KeyValue record, BinaryWriter writer)
    {
        writer.Write(record.Key);
        writer.Write(record.Value is not null);
        writer.Write(record.Value ?? "");
    }

    /// <summary>One record's payload, as the log frames it.</summary>
    public byte[] Payload(KeyValue record)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload))
        {
            Encode(record, writer);
        }

        return payload.ToArray();
    }

    public KeyValue Decode(byte[] payload)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload));
            var key = reader.ReadString();
            var present = reader.ReadBoolean();
            var value = reader.ReadString();
            return new KeyValue(key, present ? value : null);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Truncated record.", e);
        }
    }

    public void Apply(IReadOnlyList<KeyValue> records)
    {
        lock (_state)
        {
            foreach (var record in records)
            {
                Applied++;
                if (record.Value is null)
                {
                    _state.Remove(record.Key);
                }
                else
                {
                    _state[record.Key] = record.Value;
                }
            }
        }
    }

    public IReadOnlyCollection<KeyValue> LiveRecords()
    {
        lock (_state)
        {
            return [.. _state.Select(p => new KeyValue(p.Key, p.Value))];
        }
    }
}
