using System.Reactive;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;

namespace ReactiveKafka;

/// <summary>
/// A chain of sends that run one after the other on one sender:
/// <c>await sender.CreateOutbound().Send(first).Send(second).Then();</c>. Immutable: each <see cref="Send{TCorrelation}"/>
/// returns a new chain, so a chain can be reused and each <see cref="Then()"/> subscription sends again.
/// </summary>
/// <remarks>
/// A sequence starts when the previous one has all its results. The chain fails on the first failed record
/// (whatever <see cref="SenderOptions{TKey, TValue}.StopOnError"/> says) or the first source error; the remaining
/// sequences are then not sent. Individual results are not exposed: use <see cref="KafkaSender{TKey, TValue}.Send{TCorrelation}"/>
/// for them.
/// </remarks>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TValue">The record value type.</typeparam>
public sealed class KafkaOutbound<TKey, TValue>
{
    private readonly KafkaSender<TKey, TValue> _sender;
    private readonly Func<IObservable<Unit>>[] _steps;

    internal KafkaOutbound(KafkaSender<TKey, TValue> sender, Func<IObservable<Unit>>[] steps)
    {
        _sender = sender;
        _steps = steps;
    }

    /// <summary>Appends a sequence of records, sent once every earlier sequence of the chain is acknowledged.</summary>
    /// <typeparam name="TCorrelation">The correlation metadata type (ignored by the chain).</typeparam>
    /// <param name="records">The records to send.</param>
    /// <returns>A new chain ending with <paramref name="records"/>.</returns>
    public KafkaOutbound<TKey, TValue> Send<TCorrelation>(IObservable<SenderRecord<TKey, TValue, TCorrelation>> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var sender = _sender;
        Func<IObservable<Unit>> step = () => sender.Send(records)
            .Select(static result => result.Exception is { } error ? throw error : Unit.Default)
            .IgnoreElements();
        return new KafkaOutbound<TKey, TValue>(_sender, [.. _steps, step]);
    }

    /// <summary>
    /// The chain as a cold observable: subscribing sends the sequences in order; it emits one <see cref="Unit"/> and
    /// completes when every record is acknowledged, or fails with the first error. Awaitable
    /// (<c>await outbound.Then()</c>) through System.Reactive.
    /// </summary>
    /// <returns>One <see cref="Unit"/> on success, then completion.</returns>
    public IObservable<Unit> Then() =>
        _steps.Select(Observable.Defer).Concat().Concat(Observable.Return(Unit.Default));

    /// <summary>Sends the chain and completes when every record is acknowledged; throws the first error.</summary>
    /// <param name="cancellationToken">Stops the sending (records already in flight may still be written).</param>
    /// <returns>A task completing when the whole chain is acknowledged.</returns>
    public Task ThenAsync(CancellationToken cancellationToken = default) => Then().ToTask(cancellationToken);
}
