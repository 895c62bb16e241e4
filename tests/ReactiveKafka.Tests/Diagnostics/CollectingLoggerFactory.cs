using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Tests.Diagnostics;

/// <summary>An <see cref="ILoggerFactory"/> that keeps every entry (any thread), for asserting on what was logged.</summary>
internal sealed class CollectingLoggerFactory(LogLevel minimum = LogLevel.Trace) : ILoggerFactory
{
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    /// <summary>Waits until an entry matches, or fails with what was logged.</summary>
    public async Task<Entry> WaitForAsync(Func<Entry, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (_entries.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("No matching log entry; logged:\n" + string.Join("\n", _entries.Select(e => $"{e.Category} {e.Level} {e.EventId.Name}: {e.Message}")));
            }

            await Task.Delay(20);
        }
    }

    private sealed class Logger(CollectingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }

    private readonly LogLevel _minimum = minimum;
}
