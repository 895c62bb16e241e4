using System.Collections;
using System.Reflection;

namespace ReactiveKafka.Protocol.Tests.Messages;

/// <summary>
/// Fills a generated message with random values that differ from the defaults, for exactly the
/// fields its <see cref="ProtocolFieldAttribute"/> says exist at a version, recursing into structs
/// and lists; fields that may be null at that version are sometimes null.
/// </summary>
internal sealed class MessageFiller(int seed)
{
    private const int MaxDepth = 4;
    private readonly Random _random = new(seed);

    public static IEnumerable<(PropertyInfo Property, ProtocolFieldAttribute Field)> Fields(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, p.GetCustomAttribute<ProtocolFieldAttribute>()))
            .Where(x => x.Item2 is not null)
            .Select(x => (x.p, x.Item2!));

    public void Fill(object message, short version, int depth = 0)
    {
        foreach (var (property, field) in Fields(message.GetType()))
        {
            if (!field.IsPresent(version))
            {
                continue;
            }

            var current = property.GetValue(message);
            var value = field.IsNullable(version) && _random.Next(4) == 0
                ? null
                : NewValue(property.PropertyType, current, version, depth);
            property.SetValue(message, value);
        }
    }

    private object? NewValue(Type type, object? current, short version, int depth)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(ReadOnlyMemory<byte>))
        {
            return new ReadOnlyMemory<byte>(RandomBytes(_random.Next(1, 9)));
        }

        if (type == typeof(string))
        {
            string text;
            do
            {
                // Sometimes non-ASCII, so that UTF-8 byte counts differ from char counts.
                text = new string(Enumerable.Range(0, _random.Next(1, 9)).Select(_ => _random.Next(8) == 0 ? 'é' : (char)_random.Next('a', 'z' + 1)).ToArray());
            }
            while (text == (string?)current);

            return text;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var list = (IList)Activator.CreateInstance(type)!;
            var count = depth >= MaxDepth ? 0 : _random.Next(0, 4);
            for (var i = 0; i < count; i++)
            {
                list.Add(NewValue(type.GetGenericArguments()[0], null, version, depth + 1));
            }

            return list;
        }

        if (typeof(IKafkaMessage).IsAssignableFrom(type))
        {
            var nested = Activator.CreateInstance(type)!;
            if (depth < MaxDepth)
            {
                Fill(nested, version, depth + 1);
            }

            return nested;
        }

        object value;
        do
        {
            value = RandomScalar(type);
        }
        while (value.Equals(current));

        return value;
    }

    private object RandomScalar(Type type)
    {
        var bytes = RandomBytes(16);
        return type switch
        {
            _ when type == typeof(sbyte) => (sbyte)bytes[0],
            _ when type == typeof(short) => BitConverter.ToInt16(bytes),
            _ when type == typeof(ushort) => BitConverter.ToUInt16(bytes),
            _ when type == typeof(int) => BitConverter.ToInt32(bytes),
            _ when type == typeof(uint) => BitConverter.ToUInt32(bytes),
            _ when type == typeof(long) => BitConverter.ToInt64(bytes),
            _ when type == typeof(double) => _random.NextDouble() * 1000,
            _ when type == typeof(bool) => _random.Next(2) == 0,
            _ when type == typeof(Guid) => new Guid(bytes),
            _ => throw new NotSupportedException($"No random values for {type}."),
        };
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }
}
