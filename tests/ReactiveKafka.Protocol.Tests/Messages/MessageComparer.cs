using System.Collections;

namespace ReactiveKafka.Protocol.Tests.Messages;

/// <summary>Compares two generated messages field by field, for the fields present at a version.</summary>
internal static class MessageComparer
{
    /// <summary>Returns a description of the first difference, or null when the messages are equal.</summary>
    public static string? FirstDifference(object? expected, object? actual, short version, string path)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null ? null : $"{path}: expected {Show(expected)}, got {Show(actual)}";
        }

        if (expected is IKafkaMessage)
        {
            foreach (var (property, field) in MessageFiller.Fields(expected.GetType()))
            {
                if (field.IsPresent(version)
                    && FirstDifference(property.GetValue(expected), property.GetValue(actual), version, $"{path}.{property.Name}") is { } difference)
                {
                    return difference;
                }
            }

            var unknownExpected = (List<RawTaggedField>?)expected.GetType().GetProperty("UnknownTaggedFields")!.GetValue(expected);
            var unknownActual = (List<RawTaggedField>?)actual.GetType().GetProperty("UnknownTaggedFields")!.GetValue(actual);
            return (unknownExpected ?? []).SequenceEqual(unknownActual ?? []) ? null : $"{path}.UnknownTaggedFields differ";
        }

        if (expected is ReadOnlyMemory<byte> expectedBytes)
        {
            return expectedBytes.Span.SequenceEqual(((ReadOnlyMemory<byte>)actual).Span) ? null : $"{path}: bytes differ";
        }

        if (expected is IList expectedList)
        {
            var actualList = (IList)actual;
            if (expectedList.Count != actualList.Count)
            {
                return $"{path}: expected {expectedList.Count} elements, got {actualList.Count}";
            }

            for (var i = 0; i < expectedList.Count; i++)
            {
                if (FirstDifference(expectedList[i], actualList[i], version, $"{path}[{i}]") is { } difference)
                {
                    return difference;
                }
            }

            return null;
        }

        return expected.Equals(actual) ? null : $"{path}: expected {Show(expected)}, got {Show(actual)}";
    }

    private static string Show(object? value) => value is null ? "null" : $"{value} ({value.GetType().Name})";
}
