using System.Globalization;
using System.Text;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// The two small checkpoint files of a partition directory, written atomically with
/// <see cref="DurableFile"/>. Stateless; callers serialize writes to one file.
/// </summary>
/// <remarks>
/// <para><c>recovery-point.checkpoint</c>: one text line <c>1 &lt;segment base offset&gt; &lt;file
/// position&gt; &lt;offset&gt;</c>: everything before that position of that segment (and all earlier
/// segments) was fsync'd and holds the offsets below <c>offset</c>, so recovery only re-validates
/// what lies after it.</para>
/// <para><c>log-start-offset.checkpoint</c>: one text line <c>1 &lt;log start offset&gt;</c>, moved
/// by DeleteRecords and retention.</para>
/// <para>A missing or unparsable file reads as absent: the recovery point then defaults to the start
/// of the log (validate everything), the log start offset to the first segment's base offset.</para>
/// </remarks>
internal static class CheckpointFile
{
    /// <summary>The recovery point file name.</summary>
    public const string RecoveryPointName = "recovery-point.checkpoint";

    /// <summary>The log start offset file name.</summary>
    public const string LogStartOffsetName = "log-start-offset.checkpoint";

    /// <summary>Reads the numbers after the version, or null when absent or malformed.</summary>
    public static long[]? Read(string path, int count)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != count + 1 || parts[0] != "1")
            {
                return null;
            }

            var values = new long[count];
            for (var i = 0; i < count; i++)
            {
                if (!long.TryParse(parts[i + 1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out values[i]))
                {
                    return null;
                }
            }

            return values;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Atomically writes the version and <paramref name="values"/>.</summary>
    public static void Write(string path, params ReadOnlySpan<long> values)
    {
        var text = new StringBuilder("1");
        foreach (var v in values)
        {
            text.Append(' ').Append(v.ToString(CultureInfo.InvariantCulture));
        }

        text.Append('\n');
        DurableFile.WriteAllBytes(path, Encoding.ASCII.GetBytes(text.ToString()));
    }
}
