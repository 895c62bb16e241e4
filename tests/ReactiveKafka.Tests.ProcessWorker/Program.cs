using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using ReactiveKafka;
using ReactiveKafka.Tests.ProcessWorker;

// Modes (the tests read stdout; stderr is what they check):
//   logs <bootstrap> <topic>             a sender against a closed port, then a sender and a receiver with librdkafka's
//                                        `debug` on; every ILogger entry printed as "LOG|category|level|event|message"
//   raw-control                          a Confluent producer without log handlers against a closed port (the control:
//                                        librdkafka's raw lines do reach stderr)
//   telemetry <on|switched-out> <bootstrap> <topic>
//                                        listeners on every span and instrument; prints SPANS, MEASUREMENTS, TRACEPARENT
var mode = args[0];
if (mode == "telemetry" && args[1] == "switched-out")
{
    // Before any ReactiveKafka type is touched: the switch is read once.
    AppContext.SetSwitch(KafkaDiagnostics.IsSupportedSwitchName, false);
}

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
switch (mode)
{
    case "logs":
        await LogsAsync(args[1], args[2], timeout.Token);
        break;
    case "raw-control":
        RawControl();
        break;
    case "telemetry":
        await TelemetryAsync(args[2], args[3], timeout.Token);
        break;
    default:
        throw new ArgumentException($"unknown mode {mode}");
}

Console.Out.WriteLine("DONE");
return 0;

static async Task LogsAsync(string bootstrap, string topic, CancellationToken cancellationToken)
{
    using var logs = new StdoutLoggerFactory();

    // librdkafka logs the refused connections and raises error events: they must go to the logger, not stderr.
    await using (var unreachable = KafkaSender.Create(new SenderOptions<string, string>(
        new ProducerConfig { BootstrapServers = "127.0.0.1:" + ClosedPort(), SocketConnectionSetupTimeoutMs = 1000, ReconnectBackoffMs = 50 })
    {
        LoggerFactory = logs,
        CloseTimeout = TimeSpan.Zero,
    }))
    {
        await logs.WaitForAsync(e => e.Category == KafkaDiagnostics.LibrdkafkaCategory && e.Level >= LogLevel.Warning, cancellationToken);
    }

    await using (var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = bootstrap, Debug = "broker,topic" }) { LoggerFactory = logs }))
    {
        await foreach (var result in sender.SendAsync(Records(topic, 5), cancellationToken))
        {
            if (!result.IsSuccess)
            {
                throw result.Exception!;
            }
        }
    }

    var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        GroupId = "logs-" + Guid.NewGuid().ToString("N"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        Debug = "cgrp,fetch",
    })
    {
        Topics = [topic],
        LoggerFactory = logs,
    });
    var received = 0;
    await foreach (var record in receiver.ReceiveAsync(cancellationToken))
    {
        record.Offset.Acknowledge();
        if (++received == 5)
        {
            break;
        }
    }

    await receiver.WhenReleasedAsync(cancellationToken);
    Console.Out.WriteLine($"RECEIVED {received}");
}

static void RawControl()
{
    using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:" + ClosedPort(), Debug = "broker" }).Build();
    producer.Produce("control", new Message<string, string> { Value = "x" }, _ => { });
    producer.Flush(TimeSpan.FromSeconds(2));
}

static async Task TelemetryAsync(string bootstrap, string topic, CancellationToken cancellationToken)
{
    long spans = 0, measurements = 0;
    using var activities = new ActivityListener
    {
        ShouldListenTo = source => source.Name == KafkaDiagnostics.ActivitySourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        ActivityStopped = _ => Interlocked.Increment(ref spans),
    };
    ActivitySource.AddActivityListener(activities);
    using var meters = new MeterListener
    {
        InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KafkaDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        },
    };
    meters.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref measurements));
    meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref measurements));
    meters.Start();

    await using (var sender = KafkaSender.Create(new SenderOptions<string, string>(new ProducerConfig { BootstrapServers = bootstrap })))
    {
        await foreach (var result in sender.SendAsync(Records(topic, 5), cancellationToken))
        {
            if (!result.IsSuccess)
            {
                throw result.Exception!;
            }
        }
    }

    var receiver = KafkaReceiver.Create(new ReceiverOptions<string, string>(new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        GroupId = "telemetry-" + Guid.NewGuid().ToString("N"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
    })
    {
        Topics = [topic],
        CommitInterval = TimeSpan.FromMilliseconds(100),
    });
    var received = 0;
    var traced = 0;
    await foreach (var record in receiver.ReceiveAsync(cancellationToken))
    {
        traced += record.Headers?.TryGetLastBytes("traceparent", out _) == true ? 1 : 0;
        await record.Offset.CommitAsync(cancellationToken);
        if (++received == 5)
        {
            break;
        }
    }

    await receiver.WhenReleasedAsync(cancellationToken);
    meters.RecordObservableInstruments();
    Console.Out.WriteLine($"RECEIVED {received}");
    Console.Out.WriteLine($"TRACEPARENT {traced}");
    Console.Out.WriteLine($"SPANS {Interlocked.Read(ref spans)}");
    Console.Out.WriteLine($"MEASUREMENTS {Interlocked.Read(ref measurements)}");
    Console.Out.WriteLine($"SUPPORTED {KafkaDiagnostics.IsSupported}");
}

static async IAsyncEnumerable<SenderRecord<string, string, int>> Records(string topic, int count)
{
    for (var i = 0; i < count; i++)
    {
        yield return new SenderRecord<string, string, int>(topic, "k" + i, "v" + i, i);
    }

    await Task.CompletedTask;
}

// A port nobody listens on: bound, then released.
static int ClosedPort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}
