using ReactiveKafka.Broker;
using Table;

// A table over a compacted topic on the bundled broker, restored after a broker restart: `dotnet run --project examples/Table`.
var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-table-" + Guid.NewGuid().ToString("N")[..8]);
var options = new BrokerOptions
{
    DataDirectory = dataDirectory,
    Listener = "127.0.0.1:0",
    GroupInitialRebalanceDelay = TimeSpan.Zero,
};
var broker = await KafkaBroker.StartAsync(options);
Console.WriteLine($"Bundled broker on {broker.BootstrapServers} (data in {dataDirectory})");
bool ok;
try
{
    ok = await TableScenario.RunAsync(broker.BootstrapServers, async () =>
    {
        // A restart: the same data directory, a new process-local broker (and a new port).
        await broker.DisposeAsync();
        broker = await KafkaBroker.StartAsync(options);
        return broker.BootstrapServers;
    }, Console.Out);
}
finally
{
    await broker.DisposeAsync();
}

Directory.Delete(dataDirectory, recursive: true);
return ok ? 0 : 1;
