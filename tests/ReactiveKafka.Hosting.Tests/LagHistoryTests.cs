using ReactiveKafka.Hosting.Pipeline;
using Xunit;

namespace ReactiveKafka.Hosting.Tests;

/// <summary>The lag-growth rule behind the health check's degraded state (pure logic: one sample a second).</summary>
public sealed class LagHistoryTests
{
    [Fact]
    public void Growing_EverySampleAboveThePreviousOverAFullWindow_True()
    {
        var history = new LagHistory(TimeSpan.FromSeconds(3));
        foreach (var lag in new long[] { 10, 20, 30 })
        {
            history.Add(lag);
        }

        Assert.False(history.Growing); // not a full window yet (4 samples span 3 s)
        history.Add(40);
        Assert.True(history.Growing);
    }

    [Fact]
    public void Growing_OneSampleNotAbove_False()
    {
        var history = new LagHistory(TimeSpan.FromSeconds(3));
        foreach (var lag in new long[] { 10, 20, 20, 30 })
        {
            history.Add(lag);
        }

        Assert.False(history.Growing);
    }

    [Fact]
    public void Growing_UnknownLagStartsTheWindowOver_False()
    {
        var history = new LagHistory(TimeSpan.FromSeconds(3));
        foreach (var lag in new long[] { 10, 20, 30, -1, 40, 50 })
        {
            history.Add(lag);
        }

        Assert.False(history.Growing);
    }

    [Fact]
    public void Growing_WindowZero_Disabled()
    {
        var history = new LagHistory(TimeSpan.Zero);
        history.Add(1);
        history.Add(2);

        Assert.False(history.Enabled);
        Assert.False(history.Growing);
    }
}
