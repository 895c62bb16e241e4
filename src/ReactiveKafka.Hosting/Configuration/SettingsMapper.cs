using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Hosting.Configuration;

/// <summary>
/// Builds sender and receiver options from bound settings. An invalid value becomes a <see cref="KafkaSettingsException"/>
/// whose message starts with the configuration key (<c>Kafka:Receivers:billing:MaxUnacknowledged: ...</c>): the options'
/// own checks name the option, mapped here back to the key it was bound from.
/// </summary>
internal static class SettingsMapper
{
    public static SenderOptions<TKey, TValue> Sender<TKey, TValue>(
        string path, KafkaSenderSettings settings, KafkaSenderSetup<TKey, TValue> setup, ILoggerFactory loggerFactory, IServiceProvider services)
    {
        Require(settings.Producer, "bootstrap.servers", path + ":Producer");
        try
        {
            var options = new SenderOptions<TKey, TValue>(settings.Producer, setup.KeySerializer, setup.ValueSerializer) { LoggerFactory = loggerFactory };
            if (settings.MaxInFlight is { } maxInFlight)
            {
                options = options with { MaxInFlight = maxInFlight };
            }

            if (settings.StopOnError is { } stopOnError)
            {
                options = options with { StopOnError = stopOnError };
            }

            if (settings.CloseTimeout is { } closeTimeout)
            {
                options = options with { CloseTimeout = closeTimeout };
            }

            if (settings.TransactionOperationTimeout is { } transactionTimeout)
            {
                options = options with { TransactionOperationTimeout = transactionTimeout };
            }

            return setup.Customize?.Invoke(services, options) ?? options;
        }
        catch (ArgumentException error)
        {
            throw new KafkaSettingsException(Key(path, error.ParamName, "ProducerProperties", "Producer"), error);
        }
    }

    public static ReceiverOptions<TKey, TValue> Receiver<TKey, TValue>(
        string path, KafkaReceiverSettings settings, KafkaReceiverSetup<TKey, TValue> setup, ILoggerFactory loggerFactory, IServiceProvider services)
    {
        Require(settings.Consumer, "bootstrap.servers", path + ":Consumer");
        Require(settings.Consumer, "group.id", path + ":Consumer");
        try
        {
            var options = new ReceiverOptions<TKey, TValue>(settings.Consumer, setup.KeyDeserializer, setup.ValueDeserializer) { LoggerFactory = loggerFactory };
            if (settings.Topics is { Count: > 0 } topics)
            {
                options = options with { Topics = topics };
            }

            if (settings.TopicPattern is { } pattern)
            {
                options = options with { TopicPattern = pattern };
            }

            options = Apply(settings.CommitInterval, options, static (o, v) => o with { CommitInterval = v });
            options = Apply(settings.CommitBatchSize, options, static (o, v) => o with { CommitBatchSize = v });
            options = Apply(settings.MaxDeferredCommits, options, static (o, v) => o with { MaxDeferredCommits = v });
            options = Apply(settings.MaxCommitAttempts, options, static (o, v) => o with { MaxCommitAttempts = v });
            options = Apply(settings.CommitRetryInterval, options, static (o, v) => o with { CommitRetryInterval = v });
            options = Apply(settings.BufferSize, options, static (o, v) => o with { BufferSize = v });
            options = Apply(settings.MaxUnacknowledged, options, static (o, v) => o with { MaxUnacknowledged = v });
            options = Apply(settings.PollTimeout, options, static (o, v) => o with { PollTimeout = v });
            options = Apply(settings.CloseTimeout, options, static (o, v) => o with { CloseTimeout = v });
            options = Apply(settings.MaxDelayRebalance, options, static (o, v) => o with { MaxDelayRebalance = v });
            options = Apply(settings.AtMostOnceCommitAheadSize, options, static (o, v) => o with { AtMostOnceCommitAheadSize = v });
            options = setup.Customize?.Invoke(services, options) ?? options;

            // The rules between options (exactly one of Topics, TopicPattern, Assignment) are checked here too.
            _ = KafkaReceiver.Create(options);
            return options;
        }
        catch (ArgumentException error)
        {
            throw new KafkaSettingsException(Key(path, error.ParamName, "ConsumerProperties", "Consumer"), error);
        }
    }

    /// <summary>A key of the section that is no setting (a misspelling would otherwise be ignored silently).</summary>
    public static void RejectUnknownKeys<TSettings>(IConfiguration? section, string path)
    {
        if (section is null)
        {
            return;
        }

        var known = typeof(TSettings).GetProperties().Select(static p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key))
            {
                throw new KafkaSettingsException($"{path}:{child.Key}", $"not a setting of {typeof(TSettings).Name} (the settings are {string.Join(", ", known)}).");
            }
        }
    }

    private static ReceiverOptions<TKey, TValue> Apply<TKey, TValue, T>(T? value, ReceiverOptions<TKey, TValue> options, Func<ReceiverOptions<TKey, TValue>, T, ReceiverOptions<TKey, TValue>> set)
        where T : struct =>
        value is { } v ? set(options, v) : options;

    private static void Require(Dictionary<string, string> properties, string property, string path)
    {
        if (!properties.TryGetValue(property, out var value) || string.IsNullOrWhiteSpace(value))
        {
            throw new KafkaSettingsException($"{path}:{property}", $"'{property}' is required.");
        }
    }

    /// <summary>The configuration key an option was bound from: the option's name, or the properties section.</summary>
    private static string Key(string path, string? option, string propertiesOption, string propertiesKey) =>
        option is null ? path : $"{path}:{(option == propertiesOption ? propertiesKey : option)}";
}
