using ChangeDataCapture;
using ReactiveKafka.Broker;

// Change data capture from SQLite to SQLite through the bundled broker: `dotnet run --project examples/ChangeDataCapture`.
var directory = Path.Combine(Path.GetTempPath(), "reactivekafka-cdc-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(directory);
bool ok;
await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions
{
    DataDirectory = Path.Combine(directory, "broker"),
    Listener = "127.0.0.1:0",
    GroupInitialRebalanceDelay = TimeSpan.Zero,
    FlushPolicy = BrokerFlushPolicy.OperatingSystem,
}))
{
    Console.WriteLine($"Bundled broker on {broker.BootstrapServers}; databases in {directory}");
    ok = await ChangeDataCaptureScenario.RunAsync(broker.BootstrapServers, directory, Console.Out);
}

Directory.Delete(directory, recursive: true);
return ok ? 0 : 1;
