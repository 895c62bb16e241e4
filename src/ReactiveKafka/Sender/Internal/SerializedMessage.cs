using Confluent.Kafka;

namespace ReactiveKafka.Sender.Internal;

/// <summary>
/// A record's serialized key, value and headers between serialization and the moment librdkafka copies them. Held by
/// the sending call (also across its retries while librdkafka's queue is full), never by the in-flight record, so the
/// bytes do not live as long as the record waits for its delivery report.
/// </summary>
internal readonly record struct SerializedMessage(byte[]? Key, byte[]? Value, Headers? Headers);
