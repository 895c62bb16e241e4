using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Storage;

/// <summary>Admin operations: CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs.</summary>
internal sealed partial class TopicStore
{
    /// <summary>
    /// Creates a topic with <paramref name="partitions"/> partitions (-1: <see cref="DefaultPartitions"/>)
    /// and the given Kafka topic configs. Errors: INVALID_TOPIC_EXCEPTION (illegal name, or one
    /// that collides with an existing topic when '.' and '_' are equated), TOPIC_ALREADY_EXISTS,
    /// INVALID_PARTITIONS, INVALID_CONFIG. With <paramref name="validateOnly"/> nothing is written.
    /// </summary>
    public TopicResult CreateTopic(string name, int partitions, IReadOnlyDictionary<string, string>? configs, bool validateOnly = false)
    {
        if (TopicNames.Validate(name) is { } invalid)
        {
            return TopicResult.Failed(ErrorCode.InvalidTopicException, invalid);
        }

        if (partitions == -1)
        {
            partitions = DefaultPartitions;
        }

        if (partitions <= 0)
        {
            return TopicResult.Failed(ErrorCode.InvalidPartitions, "Number of partitions must be larger than 0.");
        }

        var explicitConfigs = new Dictionary<string, string>(configs ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (LogConfig.FromTopicConfigs(explicitConfigs, DefaultConfig, out var config) is { } configError)
        {
            return TopicResult.Failed(ErrorCode.InvalidConfig, configError);
        }

        lock (_adminLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_topics.ContainsKey(name))
            {
                return TopicResult.Failed(ErrorCode.TopicAlreadyExists, $"Topic '{name}' already exists.");
            }

            if (CollidingTopic(name) is { } existing)
            {
                return TopicResult.Failed(ErrorCode.InvalidTopicException, $"Topic '{name}' collides with existing topic: {existing}");
            }

            var info = new TopicInfo(name, Guid.NewGuid(), partitions, explicitConfigs, config);
            if (validateOnly)
            {
                return new TopicResult(ErrorCode.None, null, info);
            }

            var logs = new List<PartitionLog>(partitions);
            try
            {
                for (var p = 0; p < partitions; p++)
                {
                    logs.Add(OpenPartition(name, p, config));
                }

                WriteMetadata(info);
            }
            catch (IOException e)
            {
                _logger.LogError(e, "Creating topic {Topic} failed", name);
                foreach (var log in logs)
                {
                    log.DeleteAsync().AsTask().GetAwaiter().GetResult();
                }

                return TopicResult.Failed(ErrorCode.KafkaStorageError, $"Creating topic '{name}' failed: {e.Message}");
            }

            Publish(new TopicState(info, [.. logs]));
            _logger.LogInformation("Created topic {Topic} ({Id}) with {Partitions} partitions", name, info.TopicId, partitions);
            return new TopicResult(ErrorCode.None, null, info);
        }
    }

    /// <summary>
    /// Deletes a topic: its metadata first (from then on it does not exist, even after a crash),
    /// then its partition logs. UNKNOWN_TOPIC_OR_PARTITION when there is no such topic.
    /// </summary>
    public async ValueTask<TopicResult> DeleteTopicAsync(string name)
    {
        TopicState? state;
        lock (_adminLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!Unpublish(name, out state))
            {
                return TopicResult.Failed(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }

            File.Delete(MetadataPath(name));
            DurableFile.SyncDirectory(_metadataDirectory);
        }

        foreach (var log in state.Partitions)
        {
            await log.DeleteAsync().ConfigureAwait(false);
        }

        _logger.LogInformation("Deleted topic {Topic} ({Id})", name, state.Info.TopicId);
        return new TopicResult(ErrorCode.None, null, state.Info);
    }

    /// <summary>
    /// CreatePartitions: grows a topic to <paramref name="newTotal"/> partitions. INVALID_PARTITIONS
    /// when that is not more than it has; UNKNOWN_TOPIC_OR_PARTITION when the topic does not exist.
    /// </summary>
    public TopicResult AddPartitions(string name, int newTotal, bool validateOnly = false)
    {
        lock (_adminLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_topics.TryGetValue(name, out var state))
            {
                return TopicResult.Failed(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }

            var current = state.Info.PartitionCount;
            if (newTotal == current)
            {
                return TopicResult.Failed(ErrorCode.InvalidPartitions, $"Topic already has {current} partitions.");
            }

            if (newTotal < current)
            {
                return TopicResult.Failed(ErrorCode.InvalidPartitions,
                    $"Topic currently has {current} partitions, which is higher than the requested {newTotal}.");
            }

            var info = state.Info with { PartitionCount = newTotal };
            if (validateOnly)
            {
                return new TopicResult(ErrorCode.None, null, info);
            }

            var logs = new List<PartitionLog>(state.Partitions);
            for (var p = current; p < newTotal; p++)
            {
                logs.Add(OpenPartition(name, p, info.Config));
            }

            WriteMetadata(info);
            Publish(new TopicState(info, [.. logs]));
            return new TopicResult(ErrorCode.None, null, info);
        }
    }

    /// <summary>
    /// AlterConfigs: replaces the topic's explicit configs with <paramref name="configs"/> (keys
    /// absent fall back to the broker defaults; IncrementalAlterConfigs merges into
    /// <see cref="TopicInfo.Configs"/> first) and applies them to every partition log.
    /// INVALID_CONFIG naming the bad key; UNKNOWN_TOPIC_OR_PARTITION.
    /// </summary>
    public TopicResult AlterConfigs(string name, IReadOnlyDictionary<string, string> configs, bool validateOnly = false)
    {
        ArgumentNullException.ThrowIfNull(configs);
        var explicitConfigs = new Dictionary<string, string>(configs, StringComparer.Ordinal);
        if (LogConfig.FromTopicConfigs(explicitConfigs, DefaultConfig, out var config) is { } configError)
        {
            return TopicResult.Failed(ErrorCode.InvalidConfig, configError);
        }

        lock (_adminLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_topics.TryGetValue(name, out var state))
            {
                return TopicResult.Failed(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }

            var info = state.Info with { Configs = explicitConfigs, Config = config };
            if (validateOnly)
            {
                return new TopicResult(ErrorCode.None, null, info);
            }

            WriteMetadata(info);
            foreach (var log in state.Partitions)
            {
                log.UpdateConfig(config);
            }

            Publish(state with { Info = info });
            return new TopicResult(ErrorCode.None, null, info);
        }
    }

    private void WriteMetadata(TopicInfo info) =>
        TopicMetadataFile.Write(MetadataPath(info.Name),
            new TopicMetadataFile.Content(info.Name, info.TopicId, info.PartitionCount, info.Configs));
}
