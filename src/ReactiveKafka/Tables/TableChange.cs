using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>What a record of the table's topic did to a key.</summary>
public enum TableChangeKind
{
    /// <summary>The key had no value and now has one.</summary>
    Inserted,

    /// <summary>The key's value was replaced.</summary>
    Updated,

    /// <summary>A tombstone (null value) removed the key.</summary>
    Deleted,
}

/// <summary>One change of a <see cref="KafkaTable{TKey, TValue}"/>: a key, its value before and after, and the record that made it.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <param name="Kind">Inserted, updated or deleted.</param>
/// <param name="Key">The key.</param>
/// <param name="OldValue">The value before (default when inserted).</param>
/// <param name="NewValue">The value after (default when deleted).</param>
/// <param name="Offset">The record's topic, partition and offset.</param>
/// <param name="IsRestoring">True while the table is catching up (reading what the topic held when it started).</param>
public sealed record TableChange<TKey, TValue>(TableChangeKind Kind, TKey Key, TValue? OldValue, TValue? NewValue, TopicPartitionOffset Offset, bool IsRestoring);
