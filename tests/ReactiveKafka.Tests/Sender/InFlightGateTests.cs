using ReactiveKafka.Sender.Internal;
using Xunit;

namespace ReactiveKafka.Tests.Sender;

/// <summary>The permit gate on its own: pure, no broker.</summary>
public sealed class InFlightGateTests
{
    [Fact]
    public void TryAcquire_AllPermitsTaken_ReturnsFalseUntilRelease()
    {
        var gate = new InFlightGate(2);

        Assert.True(gate.TryAcquire());
        Assert.True(gate.TryAcquire());
        Assert.False(gate.TryAcquire());
        gate.Release();

        Assert.True(gate.TryAcquire());
        Assert.Equal(2, gate.InUse);
    }

    [Fact]
    public async Task Wait_NoPermit_BlocksUntilReleasedAndThrowsWhenCanceled()
    {
        var gate = new InFlightGate(1);
        gate.Wait(TestContext.Current.CancellationToken);
        var waiter = Task.Factory.StartNew(() => gate.Wait(CancellationToken.None), TaskCreationOptions.LongRunning);

        await Task.WhenAny(waiter, Task.Delay(200, TestContext.Current.CancellationToken));
        Assert.False(waiter.IsCompleted);
        gate.Release();
        await waiter.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.Throws<OperationCanceledException>(() => gate.Wait(cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.WaitAsync(cancel.Token).AsTask());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WaitAndRelease_ConcurrentReleasers_NoLostWakeUpAndNeverOverCapacity(bool blocking)
    {
        const int capacity = 8;
        const int permits = 200_000;
        var gate = new InFlightGate(capacity);
        var inUse = 0;
        var maxInUse = 0;
        var released = new System.Collections.Concurrent.BlockingCollection<int>();
        var releasers = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(() =>
        {
            foreach (var _ in released.GetConsumingEnumerable())
            {
                Interlocked.Decrement(ref inUse);
                gate.Release();
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        for (var i = 0; i < permits; i++)
        {
            if (blocking)
            {
                gate.Wait(TestContext.Current.CancellationToken);
            }
            else
            {
                await gate.WaitAsync(TestContext.Current.CancellationToken);
            }

            maxInUse = Math.Max(maxInUse, Interlocked.Increment(ref inUse));
            released.Add(i, TestContext.Current.CancellationToken);
        }

        released.CompleteAdding();
        await Task.WhenAll(releasers).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.InRange(maxInUse, 1, capacity);
        Assert.Equal(0, gate.InUse);
    }
}
