namespace ReactiveKafka.Protocol;

/// <summary>A tagged field this code does not know, kept so that it survives a read and a write.</summary>
/// <param name="Tag">The field's tag.</param>
/// <param name="Data">The field's raw value bytes.</param>
public sealed record RawTaggedField(uint Tag, byte[] Data)
{
    /// <inheritdoc />
    public bool Equals(RawTaggedField? other) =>
        other is not null && Tag == other.Tag && Data.AsSpan().SequenceEqual(other.Data);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Tag, Data.Length);
}
