using System.Diagnostics;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Transactions;

/// <summary>Waits on a condition with a timeout instead of sleeping and hoping.</summary>
internal static class BrokerWait
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }
}
