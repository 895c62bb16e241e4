namespace ReactiveKafka.Broker.Storage.Cleaning;

/// <summary>
/// The cleaner's progress in one partition directory (Kafka's <c>cleaner-offset-checkpoint</c>, kept per partition
/// here so it goes with the directory): <c>cleaner-offset.checkpoint</c>, one line <c>1 &lt;first dirty offset&gt;</c>
/// (see <see cref="CheckpointFile"/>), the first offset the next clean has to deduplicate. Written atomically after a
/// clean; a missing, unparsable or out-of-range value means "from the log start" (everything is cleaned again, which is
/// only slower). Stateless; the one cleaner thread is the only writer.
/// </summary>
internal static class CleanerCheckpoint
{
    /// <summary>The file name.</summary>
    public const string FileName = "cleaner-offset.checkpoint";

    /// <summary>The checkpointed first dirty offset of the log in <paramref name="directory"/>, or null.</summary>
    public static long? Read(string directory) => CheckpointFile.Read(Path.Combine(directory, FileName), 1)?[0];

    /// <summary>Records <paramref name="firstDirtyOffset"/> for the log in <paramref name="directory"/>.</summary>
    public static void Write(string directory, long firstDirtyOffset) =>
        CheckpointFile.Write(Path.Combine(directory, FileName), firstDirtyOffset);
}
