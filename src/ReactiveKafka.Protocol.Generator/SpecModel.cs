namespace ReactiveKafka.Protocol.Generator;

/// <summary>One Kafka message specification file (a request, response, header or data message).</summary>
internal sealed record MessageSpec(
    string Name,
    string Type,
    short? ApiKey,
    VersionRange ValidVersions,
    VersionRange FlexibleVersions,
    IReadOnlyList<FieldSpec> Fields,
    IReadOnlyList<StructSpec> CommonStructs)
{
    public bool IsApiMessage => Type is "request" or "response";
}

/// <summary>A named struct from a spec's <c>commonStructs</c> section.</summary>
internal sealed record StructSpec(string Name, VersionRange Versions, IReadOnlyList<FieldSpec> Fields);

/// <summary>One field of a message or struct, as the spec declares it.</summary>
internal sealed record FieldSpec(
    string Name,
    string Type,
    VersionRange Versions,
    VersionRange NullableVersions,
    VersionRange TaggedVersions,
    int? Tag,
    VersionRange? FlexibleVersions,
    string? Default,
    string? About,
    IReadOnlyList<FieldSpec>? Fields)
{
    public bool IsTaggedAnywhere => !TaggedVersions.IsEmpty;

    public bool IsNullableAnywhere => !NullableVersions.IsEmpty;

    /// <summary>The versions where the field is part of the fixed (untagged) layout.</summary>
    public VersionRange RegularVersions =>
        TaggedVersions.IsEmpty ? Versions
        : TaggedVersions.Min <= Versions.Min ? VersionRange.None
        : new VersionRange(Versions.Min, (short)(TaggedVersions.Min - 1)).Intersect(Versions);
}

/// <summary>An entry of <c>ApiKeys.json</c>: one API of Kafka, whether or not codecs are generated for it.</summary>
internal sealed record ApiKeyEntry(string Name, short Key, string ValidVersions, string FlexibleVersions);
