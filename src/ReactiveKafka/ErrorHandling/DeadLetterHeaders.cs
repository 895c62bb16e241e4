using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace ReactiveKafka;

/// <summary>
/// The headers the error-handling kit adds to a record it writes to a retry or dead-letter topic (UTF-8 text values),
/// and readers for them. The record keeps its own headers, key and value (as bytes, untouched).
/// </summary>
public static class DeadLetterHeaders
{
    /// <summary>The topic the record was first read from.</summary>
    public const string OriginalTopic = "rk-original-topic";

    /// <summary>Its partition there (decimal).</summary>
    public const string OriginalPartition = "rk-original-partition";

    /// <summary>Its offset there (decimal).</summary>
    public const string OriginalOffset = "rk-original-offset";

    /// <summary>Its timestamp there (Unix milliseconds, decimal).</summary>
    public const string OriginalTimestamp = "rk-original-timestamp";

    /// <summary>How many times the handler ran on the record in all, over every topic it went through (decimal; 0 for a record that could not be deserialized).</summary>
    public const string Attempts = "rk-attempts";

    /// <summary>The last failure's exception type (full name).</summary>
    public const string ExceptionType = "rk-exception-type";

    /// <summary>The last failure's exception message.</summary>
    public const string ExceptionMessage = "rk-exception-message";

    /// <summary>On a retry topic: when the record is due for its next attempt (Unix milliseconds, decimal).</summary>
    public const string RetryDue = "rk-retry-due";

    /// <summary>The names above: replaced (not duplicated) when a record moves on to the next topic.</summary>
    internal static readonly string[] All = [OriginalTopic, OriginalPartition, OriginalOffset, OriginalTimestamp, Attempts, ExceptionType, ExceptionMessage, RetryDue];

    /// <summary>The last value of header <paramref name="name"/> as text, or null when the record has none.</summary>
    /// <param name="headers">The record's headers (may be null).</param>
    /// <param name="name">The header name.</param>
    /// <returns>The text, or null.</returns>
    public static string? GetString(Headers? headers, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return headers is not null && headers.TryGetLastBytes(name, out var bytes) && bytes is not null ? Encoding.UTF8.GetString(bytes) : null;
    }

    /// <summary>The last value of header <paramref name="name"/> as a number, or null when absent or not a number.</summary>
    /// <param name="headers">The record's headers (may be null).</param>
    /// <param name="name">The header name.</param>
    /// <returns>The number, or null.</returns>
    public static long? GetInt64(Headers? headers, string name) =>
        long.TryParse(GetString(headers, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>
    /// Copies <paramref name="source"/> without the kit's own headers and adds the kit's headers for a record moving on
    /// after a failure.
    /// </summary>
    internal static Headers Build(Headers? source, TopicPartitionOffset original, long originalTimestampMs, int attempts, Exception? error, DateTimeOffset? due)
    {
        var headers = new Headers();
        if (source is not null)
        {
            foreach (var header in source)
            {
                if (Array.IndexOf(All, header.Key) < 0)
                {
                    headers.Add(header.Key, header.GetValueBytes());
                }
            }
        }

        Add(headers, OriginalTopic, original.Topic);
        Add(headers, OriginalPartition, original.Partition.Value.ToString(CultureInfo.InvariantCulture));
        Add(headers, OriginalOffset, original.Offset.Value.ToString(CultureInfo.InvariantCulture));
        Add(headers, OriginalTimestamp, originalTimestampMs.ToString(CultureInfo.InvariantCulture));
        Add(headers, Attempts, attempts.ToString(CultureInfo.InvariantCulture));
        if (error is not null)
        {
            Add(headers, ExceptionType, error.GetType().FullName ?? error.GetType().Name);
            Add(headers, ExceptionMessage, error.Message);
        }

        if (due is { } when)
        {
            Add(headers, RetryDue, when.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        }

        return headers;
    }

    private static void Add(Headers headers, string name, string value) => headers.Add(name, Encoding.UTF8.GetBytes(value));
}
