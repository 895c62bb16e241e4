using DeadLetters;
using ReactiveKafka.Broker;

// Retry topics and a dead-letter topic on the bundled broker: `dotnet run --project examples/DeadLetters`.
var dataDirectory = Path.Combine(Path.GetTempPath(), "reactivekafka-deadletters-" + Guid.NewGuid().ToString("N")[..8]);
bool ok;
await using (var broker = await KafkaBroker.StartAsync(new BrokerOptions
{
    DataDirectory = dataDirectory,
    Listener = "127.0.0.1:0",
    GroupInitialRebalanceDelay = TimeSpan.Zero,
    FlushPolicy = BrokerFlushPolicy.OperatingSystem,
}))
{
    Console.WriteLine($"Bundled broker on {broker.BootstrapServers}");
    ok = await DeadLetterScenario.RunAsync(broker.BootstrapServers, Console.Out);
}

Directory.Delete(dataDirectory, recursive: true);
return ok ? 0 : 1;
