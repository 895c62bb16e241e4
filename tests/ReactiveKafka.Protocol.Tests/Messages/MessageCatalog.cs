using System.Reflection;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Messages;

/// <summary>Finds every generated top-level message type and calls its static members by reflection.</summary>
internal static class MessageCatalog
{
    public static IReadOnlyList<Type> MessageTypes { get; } = typeof(RequestHeader).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(RequestHeader).Namespace && !t.IsNested && t.IsClass && !t.IsAbstract)
        .Where(t => t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IKafkaMessage<>)))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToList();

    public static Type Find(string name) => MessageTypes.Single(t => t.Name == name);

    public static (short Lowest, short Highest) Versions(Type type) =>
        ((short)type.GetProperty("LowestSupportedVersion")!.GetValue(null)!,
         (short)type.GetProperty("HighestSupportedVersion")!.GetValue(null)!);

    /// <summary>Every (message, version) pair: one test case each.</summary>
    public static TheoryData<string, short> AllVersions()
    {
        var data = new TheoryData<string, short>();
        foreach (var type in MessageTypes)
        {
            var (lowest, highest) = Versions(type);
            for (var version = lowest; version <= highest; version++)
            {
                data.Add(type.Name, version);
            }
        }

        return data;
    }

    public static byte[] Write(IKafkaMessage message, short version)
    {
        using var writer = new ProtocolWriter();
        message.Write(writer, version);
        return writer.ToArray();
    }

    /// <summary>Reads a message of <paramref name="type"/>; returns it and the bytes left unread.</summary>
    public static (object Message, int Remaining) Read(Type type, ReadOnlyMemory<byte> bytes, short version)
    {
        var method = typeof(MessageCatalog).GetMethod(nameof(ReadTyped), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
        try
        {
            var result = ((object, int))method.Invoke(null, [bytes, version])!;
            return result;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static (object, int) ReadTyped<T>(ReadOnlyMemory<byte> bytes, short version)
        where T : IKafkaMessage<T>
    {
        var reader = new ProtocolReader(bytes);
        var message = T.Read(ref reader, version);
        return (message, reader.Remaining);
    }
}
