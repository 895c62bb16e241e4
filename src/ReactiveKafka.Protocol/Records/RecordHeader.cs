namespace ReactiveKafka.Protocol.Records;

/// <summary>
/// A record header: a UTF-8 key (never null on the wire) and a value that may be null, which is
/// distinct from an empty value.
/// </summary>
/// <param name="Key">The header key.</param>
/// <param name="Value">The header value; null when the wire length was -1.</param>
public readonly record struct RecordHeader(string Key, ReadOnlyMemory<byte>? Value);
