using System.Reactive;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using Confluent.Kafka;
using ReactiveKafka.Tests.Infrastructure;

namespace ReactiveKafka.Tests.Sender;

/// <summary>Small helpers shared by the sender tests.</summary>
internal static class SenderTestKit
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    public static SenderOptions<string, string> Options(this BundledBrokerFixture broker, int maxInFlight = 1024, bool stopOnError = true) =>
        new(broker.ProducerConfig()) { MaxInFlight = maxInFlight, StopOnError = stopOnError };

    public static SenderRecord<string, string, int> Record(string topic, int i, int? partition = null) =>
        new(topic, $"key-{i}", $"value-{i}", i) { Partition = partition };

    /// <summary>All notifications of a send (results, then completion or error), with a timeout.</summary>
    public static Task<IList<Notification<SenderResult<T>>>> NotificationsAsync<T>(this IObservable<SenderResult<T>> results) =>
        results.Materialize().ToList().ToTask().WaitAsync(TestTimeout);

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>Fails the values "boom" (to make a record fail at serialization).</summary>
    public sealed class ThrowingSerializer : ISerializer<string>
    {
        public byte[] Serialize(string data, SerializationContext context) =>
            data == "boom" ? throw new InvalidOperationException("cannot serialize boom") : Encoding.UTF8.GetBytes(data);
    }
}
