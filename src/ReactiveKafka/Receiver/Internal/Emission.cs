namespace ReactiveKafka.Receiver.Internal;

/// <summary>One item on its way to a subscriber: a batch of records, or the end (an error or completion).</summary>
internal readonly record struct Emission<TKey, TValue>(List<ReceiverRecord<TKey, TValue>>? Records, Exception? Error)
{
    public static Emission<TKey, TValue> Completed => default;

    public bool IsEnd => Records is null;
}
