namespace ReactiveKafka.Protocol.Generator;

/// <summary>
/// An inclusive range of message versions as the specs write them: "0+", "3-7", "5", or "none".
/// Open-ended ranges use <see cref="short.MaxValue"/> as their upper bound.
/// </summary>
internal readonly record struct VersionRange(short Min, short Max)
{
    /// <summary>The empty range ("none").</summary>
    public static readonly VersionRange None = new(1, 0);

    /// <summary>Every version ("0+").</summary>
    public static readonly VersionRange All = new(0, short.MaxValue);

    public bool IsEmpty => Min > Max;

    public bool IsOpenEnded => !IsEmpty && Max == short.MaxValue;

    public static VersionRange Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return None;
        }

        text = text.Trim();
        if (text == "none")
        {
            return None;
        }

        if (text.EndsWith('+'))
        {
            return new VersionRange(short.Parse(text[..^1]), short.MaxValue);
        }

        var dash = text.IndexOf('-');
        if (dash > 0)
        {
            return new VersionRange(short.Parse(text[..dash]), short.Parse(text[(dash + 1)..]));
        }

        var single = short.Parse(text);
        return new VersionRange(single, single);
    }

    public bool Contains(short version) => version >= Min && version <= Max;

    public VersionRange Intersect(VersionRange other)
    {
        var result = new VersionRange(Math.Max(Min, other.Min), Math.Min(Max, other.Max));
        return result.IsEmpty ? None : result;
    }

    /// <summary>True when every version of <paramref name="context"/> is in this range.</summary>
    public bool Covers(VersionRange context) => context.IsEmpty || (Min <= context.Min && Max >= context.Max);

    /// <summary>
    /// A C# boolean expression testing <paramref name="variable"/> for membership, folded against the
    /// versions that can occur (<paramref name="context"/>): "true" or "false" when the answer is the
    /// same for all of them, so that generated code carries no dead checks like <c>version &gt;= 0</c>.
    /// </summary>
    public string Condition(VersionRange context, string variable = "version")
    {
        var effective = Intersect(context);
        if (effective.IsEmpty)
        {
            return "false";
        }

        if (Covers(context))
        {
            return "true";
        }

        var lower = effective.Min > context.Min ? $"{variable} >= {effective.Min}" : null;
        var upper = effective.Max < context.Max ? $"{variable} <= {effective.Max}" : null;
        return (lower, upper) switch
        {
            (not null, not null) when effective.Min == effective.Max => $"{variable} == {effective.Min}",
            (not null, not null) => $"{lower} && {upper}",
            (not null, null) => lower,
            (null, not null) => upper,
            _ => "true",
        };
    }

    public override string ToString() => IsEmpty ? "none" : Max == short.MaxValue ? $"{Min}+" : Min == Max ? $"{Min}" : $"{Min}-{Max}";
}
