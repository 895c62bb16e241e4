using Microsoft.Extensions.Logging;
using ReactiveKafka.Broker;
using ReactiveKafka.Broker.Server;

// The standalone bundled broker: parses the command line, starts the broker, runs until Ctrl+C or SIGTERM.
if (args is ["verify", .. var verifyArguments])
{
    return VerifyCommand.Run(verifyArguments);
}

ServerArguments arguments;
try
{
    arguments = ServerArguments.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}

if (arguments.ShowHelp)
{
    Console.WriteLine(ServerArguments.HelpText);
    return 0;
}

using var loggerFactory = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss.fff ";
    })
    .SetMinimumLevel(arguments.LogLevel));
var logger = loggerFactory.CreateLogger("ReactiveKafka.Broker.Server");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM,
    context =>
    {
        context.Cancel = true;
        stop.Cancel();
    });

KafkaBroker broker;
try
{
    broker = await KafkaBroker.StartAsync(arguments.ToOptions(loggerFactory), stop.Token);
}
catch (ArgumentException ex)
{
    // The broker names its BrokerOptions property (for embedded users); a command-line user needs the flag that sets
    // it. One line on stderr, like a parse error: a log line with a stack trace would bury it.
    loggerFactory.Dispose();
    Console.Error.WriteLine(OptionFlags.For(ex.ParamName) is { } flags
        ? $"error: {flags}: {ex.Message}"
        : $"error: {ex.Message}");
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}
catch (BrokerStartException ex)
{
    // One line naming the address or path and the reason; the stack trace would only bury it.
    loggerFactory.Dispose();
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

await using (broker)
{
    logger.LogInformation("Broker listening on {Bootstrap} (data in {DataDirectory}); Ctrl+C to stop", broker.BootstrapServers, Path.GetFullPath(arguments.DataDirectory));

    // Lines on stdout that scripts and tests can wait for: each listener, then READY with the first one's address.
    foreach (var listener in broker.Listeners)
    {
        Console.Out.WriteLine($"LISTENER {listener.Name} {listener.SecurityProtocol.KafkaName()} {listener.AdvertisedAddress}");
    }

    Console.Out.WriteLine($"READY {broker.BootstrapServers}");
    Console.Out.Flush();
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    logger.LogInformation("Stopping: closing connections and flushing logs");
}

logger.LogInformation("Stopped");
return 0;
