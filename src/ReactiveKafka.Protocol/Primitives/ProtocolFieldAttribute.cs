namespace ReactiveKafka.Protocol;

/// <summary>
/// Describes, on a generated message property, the versions in which its field exists, may be null,
/// and is sent as a tagged field. Generated code does not read it; it is there for tools and tests
/// that need to know which fields a version carries (for example to compare two messages).
/// </summary>
/// <remarks>Version bounds are inclusive; <see cref="short.MaxValue"/> means open-ended and -1 means never.</remarks>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ProtocolFieldAttribute : Attribute
{
    /// <summary>Creates the attribute for a field present in versions <paramref name="minVersion"/> to <paramref name="maxVersion"/>.</summary>
    /// <param name="minVersion">The first version with the field.</param>
    /// <param name="maxVersion">The last version with the field, or <see cref="short.MaxValue"/>.</param>
    public ProtocolFieldAttribute(short minVersion, short maxVersion)
    {
        MinVersion = minVersion;
        MaxVersion = maxVersion;
    }

    /// <summary>The first version with the field.</summary>
    public short MinVersion { get; }

    /// <summary>The last version with the field (<see cref="short.MaxValue"/> when open-ended).</summary>
    public short MaxVersion { get; }

    /// <summary>The first version in which the field may be null, or -1 if never.</summary>
    public short NullableMinVersion { get; set; } = -1;

    /// <summary>The last version in which the field may be null, or -1 if never.</summary>
    public short NullableMaxVersion { get; set; } = -1;

    /// <summary>The first version in which the field is a tagged field, or -1 if never.</summary>
    public short TaggedMinVersion { get; set; } = -1;

    /// <summary>The last version in which the field is a tagged field, or -1 if never.</summary>
    public short TaggedMaxVersion { get; set; } = -1;

    /// <summary>The field's tag when it is tagged, or -1.</summary>
    public int Tag { get; set; } = -1;

    /// <summary>Whether the field exists at <paramref name="version"/>.</summary>
    /// <param name="version">The message version.</param>
    public bool IsPresent(short version) => version >= MinVersion && version <= MaxVersion;

    /// <summary>Whether the field may be null at <paramref name="version"/>.</summary>
    /// <param name="version">The message version.</param>
    public bool IsNullable(short version) => NullableMinVersion >= 0 && version >= NullableMinVersion && version <= NullableMaxVersion;

    /// <summary>Whether the field is sent as a tagged field at <paramref name="version"/>.</summary>
    /// <param name="version">The message version.</param>
    public bool IsTagged(short version) => TaggedMinVersion >= 0 && version >= TaggedMinVersion && version <= TaggedMaxVersion;
}
