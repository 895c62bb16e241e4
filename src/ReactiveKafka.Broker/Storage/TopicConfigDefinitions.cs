using System.Collections.Frozen;
using System.Globalization;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The table of Kafka topic configs this broker accepts: how each is parsed, validated, applied to a
/// <see cref="LogConfig"/> and rendered back. Stateless and thread-safe.
/// </summary>
internal static class TopicConfigDefinitions
{
    private const string FlushMessages = "flush.messages";
    private const string FlushMs = "flush.ms";

    private delegate string? Setter(LogConfig config, string value, out LogConfig result);

    private sealed record Definition(string Name, Func<LogConfig, string> Get, Setter Set);

    // Accepted for compatibility (clients and tools set them), validated by type, stored, not enforced.
    private static readonly (string Name, string Default, Func<string, bool> IsValid)[] Unenforced =
    [
        ("compression.type", "producer", v => v is "producer" or "uncompressed" or "gzip" or "snappy" or "lz4" or "zstd"),
        ("file.delete.delay.ms", "60000", v => IsLong(v, 0)),
        ("message.downconversion.enable", "true", IsBool),
        ("message.timestamp.after.max.ms", "9223372036854775807", v => IsLong(v, 0)),
        ("message.timestamp.before.max.ms", "9223372036854775807", v => IsLong(v, 0)),
        ("message.timestamp.difference.max.ms", "9223372036854775807", v => IsLong(v, 0)),
        ("min.insync.replicas", "1", v => IsLong(v, 1, int.MaxValue)),
        ("preallocate", "false", IsBool),
        ("segment.jitter.ms", "0", v => IsLong(v, 0)),
        ("unclean.leader.election.enable", "false", IsBool),
    ];

    private static readonly Definition[] Enforced =
    [
        new("cleanup.policy", c => c.CleanupPolicy, static (LogConfig c, string v, out LogConfig r) =>
        {
            var parts = v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            r = c with { CleanupPolicy = string.Join(',', parts) };
            return parts.Length > 0 && parts.All(p => p is "delete" or "compact")
                ? null : "must be a list of 'delete' and/or 'compact'";
        }),
        Long("delete.retention.ms", c => c.DeleteRetentionMs, 0, long.MaxValue, (c, v) => c with { DeleteRetentionMs = v }),
        Long("index.interval.bytes", c => c.IndexIntervalBytes, 0, int.MaxValue, (c, v) => c with { IndexIntervalBytes = (int)v }),
        Long("max.message.bytes", c => c.MaxMessageBytes, 0, int.MaxValue, (c, v) => c with { MaxMessageBytes = (int)v }),
        Long("max.compaction.lag.ms", c => c.MaxCompactionLagMs, 1, long.MaxValue, (c, v) => c with { MaxCompactionLagMs = v }),
        new("message.timestamp.type", c => c.MessageTimestampType.ToString(), static (LogConfig c, string v, out LogConfig r) =>
        {
            r = c;
            switch (v)
            {
                case "CreateTime": r = c with { MessageTimestampType = TimestampType.CreateTime }; return null;
                case "LogAppendTime": r = c with { MessageTimestampType = TimestampType.LogAppendTime }; return null;
                default: return "must be 'CreateTime' or 'LogAppendTime'";
            }
        }),
        new("min.cleanable.dirty.ratio", c => c.MinCleanableDirtyRatio.ToString("R", CultureInfo.InvariantCulture), static (LogConfig c, string v, out LogConfig r) =>
        {
            var valid = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1;
            r = valid ? c with { MinCleanableDirtyRatio = ratio } : c;
            return valid ? null : "must be a double between 0 and 1";
        }),
        Long("min.compaction.lag.ms", c => c.MinCompactionLagMs, 0, long.MaxValue, (c, v) => c with { MinCompactionLagMs = v }),
        Long("retention.bytes", c => c.RetentionBytes, long.MinValue, long.MaxValue, (c, v) => c with { RetentionBytes = v }),
        Long("retention.ms", c => c.RetentionMs, -1, long.MaxValue, (c, v) => c with { RetentionMs = v }),
        // Kafka's minimum is 14 bytes (one legacy record); tests rely on tiny segments.
        Long("segment.bytes", c => c.SegmentBytes, 14, int.MaxValue, (c, v) => c with { SegmentBytes = (int)v }),
        Long("segment.index.bytes", c => c.SegmentIndexBytes, 4, int.MaxValue, (c, v) => c with { SegmentIndexBytes = (int)v }),
        Long("segment.ms", c => c.SegmentMs, 1, long.MaxValue, (c, v) => c with { SegmentMs = v }),
    ];

    private static readonly FrozenDictionary<string, Definition> EnforcedByName =
        Enforced.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, (string Default, Func<string, bool> IsValid)> UnenforcedByName =
        Unenforced.ToFrozenDictionary(u => u.Name, u => (u.Default, u.IsValid), StringComparer.Ordinal);

    /// <summary>All accepted names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. Enforced.Select(d => d.Name).Concat([FlushMessages, FlushMs]).Concat(Unenforced.Select(u => u.Name)).Order(StringComparer.Ordinal)];

    public static string? Apply(IReadOnlyDictionary<string, string> configs, LogConfig defaults, out LogConfig config)
    {
        config = defaults;
        var unenforced = new SortedDictionary<string, string>(
            defaults.UnenforcedConfigs.ToDictionary(), StringComparer.Ordinal);
        foreach (var (name, raw) in configs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var value = raw?.Trim() ?? string.Empty;
            if (EnforcedByName.TryGetValue(name, out var definition))
            {
                var error = definition.Set(config, value, out var next);
                if (error is not null)
                {
                    config = defaults;
                    return $"Invalid value '{raw}' for configuration {name}: {error}.";
                }

                config = next;
            }
            else if (UnenforcedByName.TryGetValue(name, out var u))
            {
                if (!u.IsValid(value))
                {
                    config = defaults;
                    return $"Invalid value '{raw}' for configuration {name}.";
                }

                unenforced[name] = value;
            }
            else if (name is not (FlushMessages or FlushMs))
            {
                config = defaults;
                return $"Unknown topic config name: {name}.";
            }
        }

        if (config.MinCompactionLagMs > config.MaxCompactionLagMs)
        {
            var conflict = $"conflict topic config setting min.compaction.lag.ms ({config.MinCompactionLagMs}) > max.compaction.lag.ms ({config.MaxCompactionLagMs})";
            config = defaults;
            return conflict;
        }

        var flushError = ApplyFlush(configs, defaults, ref config);
        if (flushError is not null)
        {
            config = defaults;
            return flushError;
        }

        config = config with { UnenforcedConfigs = unenforced.ToFrozenDictionary(StringComparer.Ordinal) };
        return null;
    }

    public static IReadOnlyDictionary<string, string> Render(LogConfig config)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in Enforced)
        {
            result[d.Name] = d.Get(config);
        }

        var (messages, ms) = config.FlushPolicy switch
        {
            FlushPolicy.Durable => (1L, long.MaxValue),
            FlushPolicy.Interval => (long.MaxValue, config.FlushIntervalMs),
            _ => (long.MaxValue, long.MaxValue),
        };
        result[FlushMessages] = LogConfig.FormatLong(messages);
        result[FlushMs] = LogConfig.FormatLong(ms);
        foreach (var (name, def, _) in Unenforced)
        {
            result[name] = config.UnenforcedConfigs.TryGetValue(name, out var v) ? v : def;
        }

        return result;
    }

    // Kafka fsyncs when either flush.messages or flush.ms triggers. flush.messages=1 (every write) is
    // our group-committed Durable policy; any other count cannot be honoured per message, so it falls
    // back to flush.ms (Interval) or, with flush.ms unbounded, to the OS.
    private static string? ApplyFlush(IReadOnlyDictionary<string, string> configs, LogConfig defaults, ref LogConfig config)
    {
        var hasMessages = configs.TryGetValue(FlushMessages, out var rawMessages);
        var hasMs = configs.TryGetValue(FlushMs, out var rawMs);
        if (!hasMessages && !hasMs)
        {
            return null;
        }

        long messages = defaults.FlushPolicy == FlushPolicy.Durable ? 1 : long.MaxValue;
        if (hasMessages && !TryParseLong(rawMessages, 1, long.MaxValue, out messages))
        {
            return $"Invalid value '{rawMessages}' for configuration {FlushMessages}: must be a long >= 1.";
        }

        long ms = defaults.FlushPolicy == FlushPolicy.OperatingSystem ? long.MaxValue : defaults.FlushIntervalMs;
        if (hasMs && !TryParseLong(rawMs, 0, long.MaxValue, out ms))
        {
            return $"Invalid value '{rawMs}' for configuration {FlushMs}: must be a long >= 0.";
        }

        config = messages == 1
            ? config with { FlushPolicy = FlushPolicy.Durable, FlushIntervalMs = ms == long.MaxValue ? defaults.FlushIntervalMs : ms }
            : ms == long.MaxValue
                ? config with { FlushPolicy = FlushPolicy.OperatingSystem }
                : config with { FlushPolicy = FlushPolicy.Interval, FlushIntervalMs = Math.Max(1, ms) };
        return null;
    }

    private static Definition Long(string name, Func<LogConfig, long> get, long min, long max, Func<LogConfig, long, LogConfig> set) =>
        new(name, c => LogConfig.FormatLong(get(c)), (LogConfig c, string v, out LogConfig r) =>
        {
            if (!TryParseLong(v, min, max, out var parsed))
            {
                r = c;
                return max == int.MaxValue
                    ? $"must be an int between {min} and {max}"
                    : $"must be a long >= {min}";
            }

            r = set(c, parsed);
            return null;
        });

    private static bool TryParseLong(string? value, long min, long max, out long parsed) =>
        long.TryParse(value?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out parsed) &&
        parsed >= min && parsed <= max;

    private static bool IsLong(string value, long min, long max = long.MaxValue) => TryParseLong(value, min, max, out _);

    private static bool IsBool(string value) => value is "true" or "false";
}
