using System.Collections;
using System.Reflection;
using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker;

/// <summary>
/// Writes an error code into any generated response: every <c>ErrorCode</c> (or <c>PartitionErrorCode</c>)
/// field in the response tree, limited to one topic and partition when asked. Records of an errored
/// partition are withheld, offsets set to -1. Reflection is fine here: it only runs for armed faults.
/// </summary>
internal static class ResponseErrorInjector
{
    private static readonly string[] TopicNameProperties = ["Name", "Topic"];
    private static readonly string[] PartitionProperties = ["PartitionIndex", "Index", "Partition"];

    public static void Apply(object response, ErrorCode error, string? topic, int? partition) =>
        Visit(response, (short)error, topic, partition, inTopic: topic is null, inPartition: partition is null);

    private static void Visit(object node, short error, string? topic, int? partition, bool inTopic, bool inPartition)
    {
        var type = node.GetType();
        if (topic is not null && !inTopic && StringProperty(node, type, TopicNameProperties) is { } name && IsTopicNode(type))
        {
            if (name != topic)
            {
                return;
            }

            inTopic = true;
        }

        if (partition is not null && inTopic && !inPartition && IntProperty(node, type, PartitionProperties) is { } index)
        {
            if (index != partition)
            {
                return;
            }

            inPartition = true;
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        if (inTopic && inPartition)
        {
            foreach (var property in properties)
            {
                if (property.PropertyType == typeof(short) && property.Name is "ErrorCode" or "PartitionErrorCode" && property.CanWrite)
                {
                    property.SetValue(node, error);
                    WithholdData(node, type);
                }
            }
        }

        foreach (var property in properties)
        {
            if (property.GetIndexParameters().Length > 0 || property.PropertyType == typeof(string) || !property.PropertyType.IsClass)
            {
                continue;
            }

            var value = property.GetValue(node);
            if (value is IList list && property.PropertyType.IsGenericType)
            {
                foreach (var item in list)
                {
                    if (item is not null && item.GetType().Namespace == typeof(Protocol.Messages.ProduceResponse).Namespace)
                    {
                        Visit(item, error, topic, partition, inTopic, inPartition);
                    }
                }
            }
        }
    }

    private static bool IsTopicNode(Type type) =>
        type.GetProperties().Any(p => p.PropertyType.IsGenericType && p.Name.Contains("Partition", StringComparison.Ordinal));

    private static void WithholdData(object node, Type type)
    {
        if (type.GetProperty("Records") is { CanWrite: true } records && records.PropertyType == typeof(ReadOnlyMemory<byte>?))
        {
            records.SetValue(node, (ReadOnlyMemory<byte>?)ReadOnlyMemory<byte>.Empty);
        }

        if (type.GetProperty("BaseOffset") is { CanWrite: true } baseOffset && baseOffset.PropertyType == typeof(long))
        {
            baseOffset.SetValue(node, -1L);
        }
    }

    private static string? StringProperty(object node, Type type, string[] names)
    {
        foreach (var name in names)
        {
            if (type.GetProperty(name) is { } p && p.PropertyType == typeof(string))
            {
                return (string?)p.GetValue(node);
            }
        }

        return null;
    }

    private static int? IntProperty(object node, Type type, string[] names)
    {
        foreach (var name in names)
        {
            if (type.GetProperty(name) is { } p && p.PropertyType == typeof(int))
            {
                return (int)p.GetValue(node)!;
            }
        }

        return null;
    }
}
