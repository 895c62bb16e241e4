using System.Globalization;

namespace ReactiveKafka.Protocol.Generator;

/// <summary>The wire kinds a spec field or array element can have.</summary>
internal enum WireKind
{
    Int8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    Float64,
    Bool,
    Uuid,
    String,
    Bytes,
    Records,
    Struct,
}

/// <summary>A parsed spec type: <c>int32</c>, <c>[]string</c>, <c>[]TopicData</c>, <c>LeaderIdAndEpoch</c>...</summary>
internal sealed record FieldType(WireKind Kind, bool IsArray, string? StructName)
{
    public bool IsStruct => Kind == WireKind.Struct;
}

/// <summary>Maps spec types to C# types, reader/writer calls, defaults and minimum encoded sizes.</summary>
internal static class TypeMapper
{
    public static FieldType Parse(string type)
    {
        var isArray = type.StartsWith("[]", StringComparison.Ordinal);
        var element = isArray ? type[2..] : type;
        var kind = element switch
        {
            "int8" => WireKind.Int8,
            "int16" => WireKind.Int16,
            "uint16" => WireKind.UInt16,
            "int32" => WireKind.Int32,
            "uint32" => WireKind.UInt32,
            "int64" => WireKind.Int64,
            "float64" => WireKind.Float64,
            "bool" => WireKind.Bool,
            "uuid" => WireKind.Uuid,
            "string" => WireKind.String,
            "bytes" => WireKind.Bytes,
            "records" => WireKind.Records,
            _ when element.Length > 0 && char.IsUpper(element[0]) => WireKind.Struct,
            _ => throw new InvalidDataException($"Unknown spec type \"{type}\"."),
        };
        if (isArray && kind is WireKind.Bytes or WireKind.Records)
        {
            throw new InvalidDataException($"Arrays of {element} are not supported (\"{type}\").");
        }

        return new FieldType(kind, isArray, kind == WireKind.Struct ? element : null);
    }

    /// <summary>The C# type of one value of <paramref name="kind"/> (array elements are never null).</summary>
    public static string ScalarType(WireKind kind, string? structClass) => kind switch
    {
        WireKind.Int8 => "sbyte",
        WireKind.Int16 => "short",
        WireKind.UInt16 => "ushort",
        WireKind.Int32 => "int",
        WireKind.UInt32 => "uint",
        WireKind.Int64 => "long",
        WireKind.Float64 => "double",
        WireKind.Bool => "bool",
        WireKind.Uuid => "Guid",
        WireKind.String => "string",
        WireKind.Bytes or WireKind.Records => "ReadOnlyMemory<byte>",
        WireKind.Struct => structClass ?? throw new ArgumentNullException(nameof(structClass)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Whether values of this kind can be null at some version (decides the C# <c>?</c>).</summary>
    public static bool IsNullableType(FieldSpec field, FieldType type) =>
        type.Kind == WireKind.Records && !type.IsArray
        || (field.IsNullableAnywhere && (type.IsArray || type.Kind is WireKind.String or WireKind.Bytes or WireKind.Struct));

    /// <summary>The property type of a field.</summary>
    public static string PropertyType(FieldSpec field, FieldType type, string? structClass)
    {
        var scalar = ScalarType(type.Kind, structClass);
        var core = type.IsArray ? $"List<{scalar}>" : scalar;
        return IsNullableType(field, type) ? core + "?" : core;
    }

    /// <summary>
    /// The property initialiser (without "= "), following the spec's <c>default</c> the way Kafka's
    /// Java generator does: nullable fields default to null only when the spec says "null".
    /// </summary>
    public static string? Initializer(FieldSpec field, FieldType type, string? structClass)
    {
        var def = field.Default;
        var nullable = IsNullableType(field, type);
        if (def == "null")
        {
            if (!nullable)
            {
                throw new InvalidDataException($"Field {field.Name} defaults to null but is never nullable.");
            }

            return "null";
        }

        if (type.IsArray)
        {
            return "new()";
        }

        return type.Kind switch
        {
            WireKind.Struct => "new()",
            WireKind.String => Literal(def ?? string.Empty),
            WireKind.Bytes => "ReadOnlyMemory<byte>.Empty",
            WireKind.Records => "null",
            WireKind.Bool => def is null ? null : bool.Parse(def) ? "true" : null,
            WireKind.Uuid => def is null || def == "AAAAAAAAAAAAAAAAAAAAAA" ? null
                : throw new InvalidDataException($"Field {field.Name}: uuid defaults other than zero are not supported."),
            _ => NumericDefault(field, type.Kind),
        };
    }

    /// <summary>The default value as a C# constant, for comparisons ("0" when the spec gives none).</summary>
    public static string DefaultValueExpression(FieldSpec field, FieldType type) => type.Kind switch
    {
        WireKind.Bool => field.Default is not null && bool.Parse(field.Default) ? "true" : "false",
        WireKind.Uuid => "Guid.Empty",
        _ => NumericDefault(field, type.Kind) ?? "0",
    };

    private static string? NumericDefault(FieldSpec field, WireKind kind)
    {
        if (field.Default is null)
        {
            return null;
        }

        var text = field.Default.Trim();
        var negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        var magnitude = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(digits[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : kind == WireKind.Float64 ? 0 : long.Parse(digits, CultureInfo.InvariantCulture);
        if (kind == WireKind.Float64)
        {
            var value = double.Parse(text, CultureInfo.InvariantCulture);
            return value == 0 ? null : value.ToString("R", CultureInfo.InvariantCulture) + "d";
        }

        var number = negative ? -magnitude : magnitude;
        if (number == 0)
        {
            return null;
        }

        var (min, max) = kind switch
        {
            WireKind.Int8 => ((long)sbyte.MinValue, (long)sbyte.MaxValue),
            WireKind.Int16 => (short.MinValue, short.MaxValue),
            WireKind.UInt16 => (ushort.MinValue, ushort.MaxValue),
            WireKind.Int32 => (int.MinValue, int.MaxValue),
            WireKind.UInt32 => (uint.MinValue, uint.MaxValue),
            WireKind.Int64 => (long.MinValue, long.MaxValue),
            _ => throw new InvalidDataException($"Field {field.Name}: default \"{field.Default}\" does not fit its type."),
        };
        if (number < min || number > max)
        {
            throw new InvalidDataException($"Field {field.Name}: default {number} is out of range.");
        }

        // int.MinValue and long.MinValue need their type's constant to compile as a literal.
        return number == int.MinValue && kind == WireKind.Int32 ? "int.MinValue"
            : number == long.MinValue ? "long.MinValue"
            : number.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The fewest bytes one value can take on the wire. Array reads pass this to
    /// <c>ReadArrayLength</c> so that a hostile element count is rejected before it sizes a list.
    /// </summary>
    public static int MinimumSize(WireKind kind, bool mayBeCompact) => kind switch
    {
        WireKind.Int8 or WireKind.Bool => 1,
        WireKind.Int16 or WireKind.UInt16 => 2,
        WireKind.Int32 or WireKind.UInt32 => 4,
        WireKind.Int64 or WireKind.Float64 => 8,
        WireKind.Uuid => 16,
        WireKind.String => mayBeCompact ? 1 : 2,
        WireKind.Bytes or WireKind.Records => mayBeCompact ? 1 : 4,
        _ => 1,
    };

    public static string Literal(string value)
    {
        var builder = new System.Text.StringBuilder("\"");
        foreach (var c in value)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }
}
