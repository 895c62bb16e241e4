using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Data.Sqlite;
using ReactiveKafka;

namespace ChangeDataCapture;

/// <summary>
/// Change data capture from one SQLite database into another through a topic: inserts, updates and deletes are
/// captured by triggers into an outbox, relayed as Debezium-style envelopes (the relay once "crashes" after sending and
/// before deleting what it sent, so those envelopes go out twice), and applied to the replica; the replica's consumer
/// is stopped in the middle and started again after more changes. The replica must equal the source, with every
/// change applied exactly once.
/// </summary>
public static class ChangeDataCaptureScenario
{
    public static async Task<bool> RunAsync(string bootstrapServers, string directory, TextWriter output, CancellationToken cancellationToken = default)
    {
        var topic = "cdc.customers." + Guid.NewGuid().ToString("N")[..8];
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 3, ReplicationFactor = 1 }]);
        }

        using var source = new SourceDatabase(Path.Combine(directory, "source.db"));
        source.CreateSchema();
        using var replica = new ReplicaApplier(Path.Combine(directory, "replica.db"));
        await using var sender = KafkaSender.Create(new SenderOptions<string, string?>(new ProducerConfig { BootstrapServers = bootstrapServers, Acks = Acks.All }));
        var relay = new OutboxRelay(source, sender, topic);
        var group = "replica-" + topic;
        var changes = 0;

        // 1. Inserts, updates, deletes; the relay sends 20 of them and crashes before deleting them from the outbox.
        for (var id = 1; id <= 30; id++)
        {
            source.Insert(id, "Customer" + id);
        }

        for (var id = 1; id <= 10; id++)
        {
            source.Rename(id, "Renamed" + id);
        }

        for (var id = 26; id <= 30; id++)
        {
            source.Delete(id);
        }

        changes += 45;
        var crashed = await relay.PublishAsync(limit: 20, crashBeforeDelete: true, cancellationToken);
        var relayed = await relay.PublishAsync(cancellationToken: cancellationToken);
        output.WriteLine($"relay: sent {crashed} envelopes, crashed before clearing the outbox, then sent {relayed} (the {crashed} again)");

        // 2. The replica's consumer applies part of it and is stopped in the middle.
        var failure = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (replica.Start(bootstrapServers, topic, group, e => failure.TrySetException(e)))
        {
            await WaitAsync(() => replica.Applied + replica.Skipped >= 25, failure.Task, "25 envelopes handled", cancellationToken);
        }

        output.WriteLine($"replica consumer stopped after {replica.Applied} applied, {replica.Skipped} skipped");

        // 3. More changes while it is down, then it starts again and catches up.
        for (var id = 11; id <= 18; id++)
        {
            source.Rename(id, "Again" + id);
        }

        for (var id = 1; id <= 4; id++)
        {
            source.Delete(id);
        }

        for (var id = 31; id <= 40; id++)
        {
            source.Insert(id, "Customer" + id);
        }

        changes += 22;
        output.WriteLine($"relay: sent {await relay.PublishAsync(cancellationToken: cancellationToken)} more envelopes");
        using (replica.Start(bootstrapServers, topic, group, e => failure.TrySetException(e)))
        {
            await WaitAsync(() => Same(source.Connection, replica) && replica.Applied == changes, failure.Task, "the replica equal to the source", cancellationToken);
        }

        var rows = Rows(source.Connection);
        output.WriteLine($"replica equals source: {rows.Count} customers; {replica.Applied} changes applied (each once: {replica.AppliedTwice} twice), {replica.Skipped} duplicates skipped, {replica.Tombstones} tombstones");
        var ok = Same(source.Connection, replica) && replica.Applied == changes && replica.AppliedTwice == 0 && replica.Skipped >= crashed;
        output.WriteLine(ok ? "no change lost, none applied twice." : "the replica differs from the source");
        return ok;
    }

    private static bool Same(SqliteConnection source, ReplicaApplier replica)
    {
        List<(long, string, string)> copy;
        lock (replica.Connection)
        {
            copy = Rows(replica.Connection);
        }

        return Rows(source).SequenceEqual(copy);
    }

    private static List<(long Id, string Name, string Email)> Rows(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, email FROM customers ORDER BY id";
        using var reader = command.ExecuteReader();
        var rows = new List<(long, string, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    private static async Task WaitAsync(Func<bool> condition, Task failure, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (failure.IsFaulted)
            {
                await failure;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("waited 60 s for " + what);
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
