using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using ReactiveKafka.Benchmarks.Core;

namespace ReactiveKafka.Benchmarks.Scenarios.Scale;

/// <summary>
/// How the broker's cost of a waiting Fetch grows with the number of consumers long-polling one empty partition: 1, 10,
/// 100 and 1,000 plain TCP connections each send Fetch v4 (max wait 200 ms, min bytes 1) at the log end, again as soon as
/// the empty answer comes, for a fixed window. Broker CPU per fetch round must stay flat: every waiting fetch
/// registers for the partition's high-watermark advance and unregisters when it times out, which must not cost in
/// proportion to the other waiters. Plain sockets, so no client library's threads load the machine.
/// </summary>
public sealed class LongPollScaleScenario : IScenario
{
    private const int MaxWaitMs = 200;

    public string Name => "scale-long-polls";

    public string Description => "broker CPU per waiting fetch with 1, 10, 100, 1,000 consumers long-polling one empty partition";

    public async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        int[] sizes = context.Smoke ? [1, 10] : [1, 10, 100, 1000];
        var window = context.Smoke ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(6);
        await using var server = await BrokerServer.StartAsync(context.NewDirectory("scale-long-polls"), flush: "durable", partitions: 1);
        var topic = Clients.Topic("long-polls");
        await Admin.CreateTopicAsync(server.BootstrapServers, topic, 1);
        var cpu = new ScaleSeries("broker CPU per fetch round", "µs", "consumers", sizes);
        var rounds = new ScaleSeries("fetch rounds per consumer per second", "1/s", "consumers", sizes);
        for (var run = 0; run < context.Runs; run++)
        {
            // The idle broker's own CPU (timers, GC) over the same window, taken off every size's figure.
            var idleStart = server.CpuSeconds();
            await Task.Delay(window);
            var idle = server.CpuSeconds() - idleStart;
            foreach (var consumers in sizes)
            {
                var (perFetch, perConsumer) = await MeasureAsync(server, topic, consumers, window, idle);
                cpu.Add(consumers, perFetch);
                rounds.Add(consumers, perConsumer);
                context.Log($"run {run + 1}/{context.Runs} {consumers} consumers: {perFetch:0.0} µs broker CPU per fetch, {perConsumer:0.00} rounds per consumer per second");
            }
        }

        return cpu.Result(Name,
            $"1 partition, empty; each consumer a plain TCP connection looping Fetch v4 (max wait {MaxWaitMs} ms, min bytes 1) at offset 0; {window.TotalSeconds:0} s window per size; standalone broker --flush durable",
            context.Smoke, [rounds],
            [$"Broker CPU per fetch round = (the server process's CPU over the window − its idle CPU over an equal window in the same run) / the empty answers received (each waited its {MaxWaitMs} ms). A consumer's rounds per second stay at ~{1000 / MaxWaitMs} while the broker (and this process) keep up.",
             "The server's CPU is read from /proc in 10 ms ticks: at 1 and 10 consumers a window holds too few fetches for the figure to mean anything; read the shape from 100 on."]);
    }

    private static async Task<(double MicrosecondsPerFetch, double RoundsPerConsumerSecond)> MeasureAsync(BrokerServer server, string topic, int consumers, TimeSpan window, double idle)
    {
        var colon = server.BootstrapServers.LastIndexOf(':');
        var (host, port) = (server.BootstrapServers[..colon], int.Parse(server.BootstrapServers[(colon + 1)..], CultureInfo.InvariantCulture));
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < consumers; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                sockets.Add(socket);
                await socket.ConnectAsync(host, port);
            }

            using var stop = new CancellationTokenSource();
            long answered = 0;
            var counting = 0;
            var loops = sockets.Select((socket, i) => Task.Run(async () =>
            {
                var request = FetchRequest(topic, i);
                var size = new byte[4];
                var body = new byte[64 * 1024];
                while (!stop.IsCancellationRequested)
                {
                    await socket.SendAsync(request);
                    await ReadExactlyAsync(socket, size);
                    var length = BinaryPrimitives.ReadInt32BigEndian(size);
                    if (length > body.Length)
                    {
                        body = new byte[length];
                    }

                    await ReadExactlyAsync(socket, body.AsMemory(0, length));
                    if (BinaryPrimitives.ReadInt32BigEndian(body) != i)
                    {
                        throw new InvalidOperationException("A fetch was answered with another correlation id.");
                    }

                    if (Volatile.Read(ref counting) == 1)
                    {
                        Interlocked.Increment(ref answered);
                    }
                }
            })).ToList();

            // One round to settle (every connection waiting), then the window.
            await Task.Delay(2 * MaxWaitMs);
            var cpu = server.CpuSeconds();
            Volatile.Write(ref counting, 1);
            await Task.Delay(window);
            Volatile.Write(ref counting, 0);
            var used = server.CpuSeconds() - cpu;
            var count = Interlocked.Read(ref answered);
            await stop.CancelAsync();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30));
            return (Math.Max(0, used - idle) * 1e6 / Math.Max(1, count), count / (double)consumers / window.TotalSeconds);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    /// <summary>Fetch v4 (request header v1): replica -1, max wait, min bytes 1, max bytes 1 MiB, read_uncommitted, one partition at offset 0.</summary>
    private static byte[] FetchRequest(string topic, int correlationId)
    {
        var clientId = "long-poll"u8.ToArray();
        var name = Encoding.UTF8.GetBytes(topic);
        using var body = new MemoryStream();
        void Int16(short v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteInt16BigEndian(b, v); body.Write(b); }
        void Int32(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, v); body.Write(b); }
        Int32(0); // the size, set below
        Int16(1); // Fetch
        Int16(4);
        Int32(correlationId);
        Int16((short)clientId.Length);
        body.Write(clientId);
        Int32(-1); // replica id
        Int32(MaxWaitMs);
        Int32(1); // min bytes
        Int32(1 << 20); // max bytes
        body.WriteByte(0); // isolation level
        Int32(1); // topics
        Int16((short)name.Length);
        body.Write(name);
        Int32(1); // partitions
        Int32(0); // partition
        Int32(0); // fetch offset (int64 0)
        Int32(0);
        Int32(1 << 20); // partition max bytes
        var frame = body.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer[read..]);
            if (n == 0)
            {
                throw new IOException("The broker closed a long-polling connection.");
            }

            read += n;
        }
    }
}
