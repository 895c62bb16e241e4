using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReactiveKafka.Hosting.Configuration;
using ReactiveKafka.Hosting.Health;
using ReactiveKafka.Hosting.Pipeline;

namespace ReactiveKafka;

/// <summary>
/// Registers ReactiveKafka senders, receivers and hosted pipelines in a service collection. Senders and receivers are
/// keyed singletons (<c>[FromKeyedServices("orders")] KafkaSender&lt;string, Order&gt; sender</c>) built from settings
/// bound from configuration and validated when the host starts: a bad value fails the start with the configuration
/// key in the message. They log to the host's <see cref="ILoggerFactory"/>.
/// </summary>
/// <example>
/// <code language="csharp"><![CDATA[
/// builder.Services
///     .AddKafkaReceiver<string, string>("billing", builder.Configuration.GetSection("Kafka:Receivers:billing"))
///     .AddKafkaPipeline<string, string>("billing", async (record, ct) => await Bill(record.Value, ct),
///         pipeline => pipeline.RestartOnFailure = true);
/// ]]></code>
/// </example>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>Registers a sender named <paramref name="name"/>, bound from <paramref name="configuration"/> (its section).</summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The sender's name: its service key.</param>
    /// <param name="configuration">The sender's section (<see cref="KafkaSenderSettings"/>).</param>
    /// <param name="configure">Serializers and last changes to the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKafkaSender<TKey, TValue>(
        this IServiceCollection services, string name, IConfiguration configuration, Action<KafkaSenderSetup<TKey, TValue>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<KafkaSenderSettings>(name).Bind(configuration);
        return AddSender(services, name, PathOf(configuration, name), configure, configuration);
    }

    /// <summary>Registers a sender named <paramref name="name"/> whose settings are set in code.</summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The sender's name: its service key.</param>
    /// <param name="settings">Sets the settings.</param>
    /// <param name="configure">Serializers and last changes to the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKafkaSender<TKey, TValue>(
        this IServiceCollection services, string name, Action<KafkaSenderSettings> settings, Action<KafkaSenderSetup<TKey, TValue>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddOptions<KafkaSenderSettings>(name).Configure(settings);
        return AddSender(services, name, $"KafkaSenderSettings[{name}]", configure);
    }

    /// <summary>Registers a receiver named <paramref name="name"/>, bound from <paramref name="configuration"/> (its section).</summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The receiver's name: its service key.</param>
    /// <param name="configuration">The receiver's section (<see cref="KafkaReceiverSettings"/>).</param>
    /// <param name="configure">Deserializers and last changes to the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKafkaReceiver<TKey, TValue>(
        this IServiceCollection services, string name, IConfiguration configuration, Action<KafkaReceiverSetup<TKey, TValue>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<KafkaReceiverSettings>(name).Bind(configuration);
        return AddReceiver(services, name, PathOf(configuration, name), configure, configuration);
    }

    /// <summary>Registers a receiver named <paramref name="name"/> whose settings are set in code.</summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The receiver's name: its service key.</param>
    /// <param name="settings">Sets the settings.</param>
    /// <param name="configure">Deserializers and last changes to the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKafkaReceiver<TKey, TValue>(
        this IServiceCollection services, string name, Action<KafkaReceiverSettings> settings, Action<KafkaReceiverSetup<TKey, TValue>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddOptions<KafkaReceiverSettings>(name).Configure(settings);
        return AddReceiver(services, name, $"KafkaReceiverSettings[{name}]", configure);
    }

    /// <summary>
    /// Registers a hosted pipeline named <paramref name="name"/> that hands every record of its receiver (registered
    /// with <see cref="AddKafkaReceiver{TKey, TValue}(IServiceCollection, string, IConfiguration, Action{KafkaReceiverSetup{TKey, TValue}}?)"/>,
    /// under <see cref="KafkaPipelineOptions.Receiver"/> or the same name) to <paramref name="handle"/> and acknowledges
    /// it when that returns; and its health check, named <c>kafka-pipeline-{name}</c> and tagged <c>kafka</c>.
    /// </summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The pipeline's name: the key of its <see cref="IKafkaPipeline"/>.</param>
    /// <param name="handle">Processes one record (see <see cref="IKafkaRecordHandler{TKey, TValue}.HandleAsync"/>).</param>
    /// <param name="configure">The pipeline's options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKafkaPipeline<TKey, TValue>(
        this IServiceCollection services,
        string name,
        Func<ReceiverRecord<TKey, TValue>, CancellationToken, ValueTask> handle,
        Action<KafkaPipelineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return AddPipeline<TKey, TValue>(services, name, _ => handle, configure);
    }

    /// <summary>
    /// As <see cref="AddKafkaPipeline{TKey, TValue}(IServiceCollection, string, Func{ReceiverRecord{TKey, TValue}, CancellationToken, ValueTask}, Action{KafkaPipelineOptions}?)"/>,
    /// with a handler type resolved from a new service scope per record (registered scoped here).
    /// </summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TValue">The record value type.</typeparam>
    /// <typeparam name="THandler">The handler.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The pipeline's name.</param>
    /// <param name="configure">The pipeline's options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKafkaPipeline<TKey, TValue, THandler>(
        this IServiceCollection services, string name, Action<KafkaPipelineOptions>? configure = null)
        where THandler : class, IKafkaRecordHandler<TKey, TValue>
    {
        services.AddScoped<THandler>();
        return AddPipeline<TKey, TValue>(services, name, provider => async (record, cancellationToken) =>
        {
            var scope = provider.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(record, cancellationToken).ConfigureAwait(false);
            }
        }, configure);
    }

    private static IServiceCollection AddSender<TKey, TValue>(
        IServiceCollection services, string name, string path, Action<KafkaSenderSetup<TKey, TValue>>? configure, IConfiguration? section = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var setup = new KafkaSenderSetup<TKey, TValue>();
        configure?.Invoke(setup);
        services.AddOptions<KafkaSenderSettings>(name).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaSenderSettings>>(provider => new SettingsValidator<KafkaSenderSettings>(
            name, settings =>
            {
                SettingsMapper.RejectUnknownKeys<KafkaSenderSettings>(section, path);
                SettingsMapper.Sender(path, settings, setup, NullLoggerFactory.Instance, provider);
            }));
        services.AddKeyedSingleton(name, (provider, _) => KafkaSender.Create(SettingsMapper.Sender(
            path, provider.GetRequiredService<IOptionsMonitor<KafkaSenderSettings>>().Get(name), setup, LoggerFactoryOf(provider), provider)));
        return services;
    }

    private static IServiceCollection AddReceiver<TKey, TValue>(
        IServiceCollection services, string name, string path, Action<KafkaReceiverSetup<TKey, TValue>>? configure, IConfiguration? section = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var setup = new KafkaReceiverSetup<TKey, TValue>();
        configure?.Invoke(setup);
        services.AddOptions<KafkaReceiverSettings>(name).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaReceiverSettings>>(provider => new SettingsValidator<KafkaReceiverSettings>(
            name, settings =>
            {
                SettingsMapper.RejectUnknownKeys<KafkaReceiverSettings>(section, path);
                SettingsMapper.Receiver(path, settings, setup, NullLoggerFactory.Instance, provider);
            }));
        services.AddKeyedSingleton(name, (provider, _) => KafkaReceiver.Create(SettingsMapper.Receiver(
            path, provider.GetRequiredService<IOptionsMonitor<KafkaReceiverSettings>>().Get(name), setup, LoggerFactoryOf(provider), provider)));
        return services;
    }

    private static IServiceCollection AddPipeline<TKey, TValue>(
        IServiceCollection services,
        string name,
        Func<IServiceProvider, Func<ReceiverRecord<TKey, TValue>, CancellationToken, ValueTask>> handler,
        Action<KafkaPipelineOptions>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = services.AddOptions<KafkaPipelineOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaPipelineOptions>>(new SettingsValidator<KafkaPipelineOptions>(name, o => o.Validate(name)));
        services.AddKeyedSingleton(name, (provider, _) =>
        {
            var pipelineOptions = provider.GetRequiredService<IOptionsMonitor<KafkaPipelineOptions>>().Get(name);
            var receiver = provider.GetRequiredKeyedService<KafkaReceiver<TKey, TValue>>(pipelineOptions.Receiver ?? name);
            return new KafkaPipeline<TKey, TValue>(name, receiver, handler(provider), pipelineOptions, LoggerFactoryOf(provider));
        });
        services.AddKeyedSingleton<IKafkaPipeline>(name, (provider, key) => provider.GetRequiredKeyedService<KafkaPipeline<TKey, TValue>>(key));

        // Not AddHostedService: it keeps one registration per implementation type, and two pipelines share one.
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<KafkaPipeline<TKey, TValue>>(name));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "kafka-pipeline-" + name,
            provider => new KafkaPipelineHealthCheck(
                provider.GetRequiredKeyedService<IKafkaPipeline>(name), provider.GetRequiredService<IOptionsMonitor<KafkaPipelineOptions>>().Get(name)),
            failureStatus: null,
            tags: ["kafka"]));
        return services;
    }

    private static ILoggerFactory LoggerFactoryOf(IServiceProvider provider) =>
        provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;

    private static string PathOf(IConfiguration configuration, string name) =>
        configuration is IConfigurationSection section ? section.Path : name;
}
