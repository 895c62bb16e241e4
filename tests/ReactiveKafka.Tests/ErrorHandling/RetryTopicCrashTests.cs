using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ReactiveKafka.Tests.Infrastructure;
using ReactiveKafka.Tests.Receiver;
using Xunit;

namespace ReactiveKafka.Tests.ErrorHandling;

/// <summary>
/// kill -9 of a child process running a <see cref="RetryTopicProcessor{TKey, TValue}"/> in the middle of its retries:
/// after restarts every record ends processed or dead-lettered, none lost (counted), duplicates counted and reported.
/// </summary>
public sealed class RetryTopicCrashTests(BundledBrokerFixture broker) : IClassFixture<BundledBrokerFixture>
{
    private const int Records = 300;

    [Fact]
    public async Task Killing_the_processor_mid_retries_loses_no_record()
    {
        var topic = await broker.CreateTopicAsync(partitions: 2);
        var group = "crash-" + Guid.NewGuid().ToString("N");
        var options = new RetryTopicOptions<string, string>(ReceiverTestKit.ConsumerConfig(broker, group), broker.ProducerConfig(), topic)
        {
            RetryDelays = [TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(600)],
        };
        await new RetryTopicProcessor<string, string>(options, (_, _) => ValueTask.CompletedTask).CreateMissingTopicsAsync(TestContext.Current.CancellationToken);
        var log = Path.Combine(Path.GetTempPath(), "rk-crash-" + Guid.NewGuid().ToString("N") + ".log");
        ReceiverTestKit.Produce(broker, topic, Records, partitions: 2);
        var expectedDead = Enumerable.Range(0, Records).Where(i => i % 5 == 0).ToHashSet();
        var expectedProcessed = Enumerable.Range(0, Records).Where(i => i % 5 != 0).ToHashSet();

        try
        {
            // Twice: start, wait until records are in the retry topics (retries in flight), kill -9.
            for (var crash = 0; crash < 2; crash++)
            {
                using var worker = Worker.Start(broker.BootstrapServers, topic, group, log);
                await ReceiverTestKit.WaitUntil(() => worker.Lines.Count(l => l.StartsWith("Retried", StringComparison.Ordinal)) >= 10 * (crash + 1), TimeSpan.FromSeconds(60), () => $"retries in the worker's output: {worker.Describe()}");
                worker.Kill();
            }

            using (var last = Worker.Start(broker.BootstrapServers, topic, group, log))
            {
                await ReceiverTestKit.WaitUntil(
                    () => expectedProcessed.IsSubsetOf(ReadProcessed(log)) && DeadLettered(options.DeadLetterTopic).Count >= expectedDead.Count,
                    TimeSpan.FromSeconds(90), () => $"every record processed or dead-lettered: {ReadProcessed(log).Count} processed, worker {last.Describe()}");
                await last.StopAsync();
            }

            var processedLines = ReadProcessedLines(log);
            var dead = DeadLettered(options.DeadLetterTopic);
            var lost = Enumerable.Range(0, Records).Count(i => !processedLines.Contains(i) && !dead.Contains(i));
            Assert.Equal(0, lost);
            Assert.Equal(expectedDead, dead.ToHashSet());
            Assert.DoesNotContain(processedLines, expectedDead.Contains);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{Records} records, 2 kill -9: lost {lost}, processed {processedLines.Count} times for {processedLines.Distinct().Count()} records ({processedLines.Count - processedLines.Distinct().Count()} duplicates), dead-lettered {dead.Count} times for {dead.Distinct().Count()} records ({dead.Count - dead.Distinct().Count()} duplicates)");
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static HashSet<int> ReadProcessed(string log) => [.. ReadProcessedLines(log)];

    private static List<int> ReadProcessedLines(string log)
    {
        if (!File.Exists(log))
        {
            return [];
        }

        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var values = new List<int>();
        // A kill -9 mid-write can leave a partial last line: only whole lines count.
        var text = reader.ReadToEnd();
        foreach (var line in text.Split('\n')[..^1])
        {
            values.Add(int.Parse(line, CultureInfo.InvariantCulture));
        }

        return values;
    }

    /// <summary>The record numbers in the dead-letter topic (from the values), with repeats.</summary>
    private List<int> DeadLettered(string topic)
    {
        var seen = new List<int>();
        var high = broker.HighWatermark(topic, 0) + broker.HighWatermark(topic, 1);
        if (high == 0)
        {
            return seen;
        }

        foreach (var record in broker.ConsumeUntil(topic, r => r.Count >= high, TimeSpan.FromSeconds(20), partitions: 2))
        {
            seen.Add(int.Parse(Encoding.UTF8.GetString(record.Message.Value).AsSpan(1), CultureInfo.InvariantCulture));
            Assert.Equal(topic[..^".dlt".Length], DeadLetterHeaders.GetString(record.Message.Headers, DeadLetterHeaders.OriginalTopic));
            Assert.Equal(3, DeadLetterHeaders.GetInt64(record.Message.Headers, DeadLetterHeaders.Attempts));
        }

        return seen;
    }

    /// <summary>The child process (the CrashWorker built beside the tests, run with dotnet).</summary>
    private sealed class Worker : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _errors = new();

        private Worker(Process process)
        {
            _process = process;
        }

        public ConcurrentQueue<string> Lines { get; } = new();

        public static Worker Start(string bootstrap, string topic, string group, string log)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "ReactiveKafka.Tests.CrashWorker.dll");
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { dll, bootstrap, topic, group, log })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the crash worker");
            var worker = new Worker(process);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    worker.Lines.Enqueue(e.Data);
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    worker._errors.Enqueue(e.Data);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return worker;
        }

        public string Describe() =>
            $"{Lines.Count} lines, exited {_process.HasExited}{(_process.HasExited ? " with " + _process.ExitCode : "")}; stderr: {string.Join(" | ", _errors.Take(5))}";

        /// <summary>kill -9: SIGKILL, no cleanup of any kind in the child.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        /// <summary>Closes the child's standard input: it stops cleanly (commits) and exits.</summary>
        public async Task StopAsync()
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, _process.ExitCode);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }
    }
}
