using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Tests.ProcessWorker;

/// <summary>One logged entry.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, string? EventName, string Message);

/// <summary>
/// Writes every entry to stdout as one line (<c>LOG|category|level|event|message</c>) for the parent test to read, and
/// lets the worker wait for an entry.
/// </summary>
internal sealed class StdoutLoggerFactory : ILoggerFactory
{
    private readonly Lock _lock = new();
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource Done)> _waiters = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    /// <summary>Completes when an entry matching <paramref name="match"/> is logged from now on.</summary>
    public Task WaitForAsync(Func<LogEntry, bool> match, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiters.Add((match, done));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    private void Write(LogEntry entry)
    {
        var line = $"LOG|{entry.Category}|{entry.Level}|{entry.EventName}|{entry.Message.ReplaceLineEndings(" ")}";
        lock (_lock)
        {
            Console.Out.WriteLine(line);
            foreach (var (match, done) in _waiters)
            {
                if (match(entry))
                {
                    done.TrySetResult();
                }
            }
        }
    }

    private sealed class Logger(StdoutLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            factory.Write(new LogEntry(category, logLevel, eventId.Name, formatter(state, exception)));
    }
}
