using ReactiveKafka.Protocol.Generator;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Generator;

public sealed class TypeMapperTests
{
    private static FieldSpec Field(string type, string? nullable = null, string? def = null) =>
        new("F", type, VersionRange.All, VersionRange.Parse(nullable), VersionRange.None, null, null, def, null, null);

    [Theory]
    [InlineData("int8", null, "sbyte")]
    [InlineData("int16", null, "short")]
    [InlineData("uint16", null, "ushort")]
    [InlineData("int32", null, "int")]
    [InlineData("uint32", null, "uint")]
    [InlineData("int64", null, "long")]
    [InlineData("float64", null, "double")]
    [InlineData("bool", null, "bool")]
    [InlineData("uuid", null, "Guid")]
    [InlineData("string", null, "string")]
    [InlineData("string", "1+", "string?")]
    [InlineData("bytes", null, "ReadOnlyMemory<byte>")]
    [InlineData("bytes", "0+", "ReadOnlyMemory<byte>?")]
    [InlineData("records", null, "ReadOnlyMemory<byte>?")]
    [InlineData("[]int32", null, "List<int>")]
    [InlineData("[]string", "0+", "List<string>?")]
    [InlineData("[]TopicData", null, "List<TopicData>")]
    [InlineData("LeaderIdAndEpoch", null, "LeaderIdAndEpoch")]
    [InlineData("LeaderIdAndEpoch", "0+", "LeaderIdAndEpoch?")]
    public void Maps_spec_types_to_csharp(string specType, string? nullable, string expected)
    {
        var field = Field(specType, nullable);
        var type = TypeMapper.Parse(specType);
        Assert.Equal(expected, TypeMapper.PropertyType(field, type, type.StructName));
    }

    [Theory]
    [InlineData("int32", null, "-1", "-1")]
    [InlineData("int32", null, "0x7fffffff", "2147483647")]
    [InlineData("int32", null, "-2147483648", "int.MinValue")]
    [InlineData("int64", null, "60000", "60000")]
    [InlineData("int32", null, "0", null)]
    [InlineData("bool", null, "true", "true")]
    [InlineData("bool", null, "false", null)]
    [InlineData("string", null, null, "\"\"")]
    [InlineData("string", "0+", "null", "null")]
    [InlineData("string", "0+", null, "\"\"")]
    [InlineData("[]int32", "0+", "null", "null")]
    [InlineData("[]int32", "0+", null, "new()")]
    [InlineData("records", "0+", null, "null")]
    [InlineData("Assignment", null, null, "new()")]
    public void Applies_spec_defaults(string specType, string? nullable, string? def, string? expected)
    {
        var field = Field(specType, nullable, def);
        var type = TypeMapper.Parse(specType);
        Assert.Equal(expected, TypeMapper.Initializer(field, type, type.StructName));
    }

    [Fact]
    public void Rejects_a_null_default_on_a_never_nullable_field()
    {
        var field = Field("string", null, "null");
        Assert.Throws<InvalidDataException>(() => TypeMapper.Initializer(field, TypeMapper.Parse("string"), null));
    }

    [Fact]
    public void Rejects_unknown_types()
    {
        Assert.Throws<InvalidDataException>(() => TypeMapper.Parse("varint"));
    }

    [Theory]
    [InlineData("int64", false, 8)]
    [InlineData("uuid", false, 16)]
    [InlineData("string", false, 2)]
    [InlineData("string", true, 1)]
    [InlineData("bytes", false, 4)]
    public void Minimum_sizes_bound_array_counts(string specType, bool compact, int expected)
    {
        Assert.Equal(expected, TypeMapper.MinimumSize(TypeMapper.Parse(specType).Kind, compact));
    }
}
