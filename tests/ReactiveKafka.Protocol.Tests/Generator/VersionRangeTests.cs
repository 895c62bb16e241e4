using ReactiveKafka.Protocol.Generator;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Generator;

public sealed class VersionRangeTests
{
    [Theory]
    [InlineData("0+", 0, short.MaxValue)]
    [InlineData("3-7", 3, 7)]
    [InlineData("5", 5, 5)]
    [InlineData(" 12+ ", 12, short.MaxValue)]
    public void Parses_spec_ranges(string text, short min, short max)
    {
        Assert.Equal(new VersionRange(min, max), VersionRange.Parse(text));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("")]
    [InlineData(null)]
    public void None_and_missing_are_empty(string? text)
    {
        Assert.True(VersionRange.Parse(text).IsEmpty);
    }

    [Theory]
    [InlineData("0+", "0-11", "true")] // present at every valid version: no check at all
    [InlineData("3+", "0-11", "version >= 3")]
    [InlineData("0-12", "0-17", "version <= 12")]
    [InlineData("4-6", "0-11", "version >= 4 && version <= 6")]
    [InlineData("5", "0-11", "version == 5")]
    [InlineData("12+", "0-11", "false")] // beyond the valid versions: never emitted
    [InlineData("3+", "3-11", "true")] // a struct only used from v3 need not test v3 again
    [InlineData("none", "0-11", "false")]
    public void Conditions_fold_against_the_context(string range, string context, string expected)
    {
        Assert.Equal(expected, VersionRange.Parse(range).Condition(VersionRange.Parse(context)));
    }

    [Fact]
    public void Formats_back_to_spec_syntax()
    {
        Assert.Equal("9+", VersionRange.Parse("9+").ToString());
        Assert.Equal("0-2", VersionRange.Parse("0-2").ToString());
        Assert.Equal("none", VersionRange.None.ToString());
    }

    [Fact]
    public void Regular_versions_exclude_tagged_ones()
    {
        var field = new FieldSpec("F", "int32", VersionRange.Parse("0+"), VersionRange.None, VersionRange.Parse("5+"), 0, null, null, null, null);
        Assert.Equal(VersionRange.Parse("0-4"), field.RegularVersions);
        var alwaysTagged = field with { Versions = VersionRange.Parse("5+") };
        Assert.True(alwaysTagged.RegularVersions.IsEmpty);
    }
}
