using ReactiveKafka;

namespace HostedPipeline;

/// <summary>The "orders" pipeline: ships each order by sending a record to "shipments" (its span is the process span's child).</summary>
public sealed class ShipOrder([FromKeyedServices("default")] KafkaSender<string, string> sender, ILogger<ShipOrder> logger)
    : IKafkaRecordHandler<string, string>
{
    public async ValueTask HandleAsync(ReceiverRecord<string, string> record, CancellationToken cancellationToken)
    {
        await Task.Delay(50, cancellationToken); // the work
        var shipped = await sender.SendAsync(new SenderRecord<string, string, int>("shipments", record.Key, $"shipped: {record.Value}", 0), cancellationToken);
        logger.LogInformation("Shipped {Order} ({From} -> {To})", record.Value, record.TopicPartitionOffset, shipped.TopicPartitionOffset);
    }
}

/// <summary>The "audit" pipeline: counts each shipment.</summary>
public sealed class AuditShipment(Progress progress, ILogger<AuditShipment> logger) : IKafkaRecordHandler<string, string>
{
    public ValueTask HandleAsync(ReceiverRecord<string, string> record, CancellationToken cancellationToken)
    {
        logger.LogInformation("Audited {Shipment} (trace {Trace})", record.Value, record.Activity?.TraceId.ToString() ?? "off");
        progress.Audited();
        return ValueTask.CompletedTask;
    }
}
