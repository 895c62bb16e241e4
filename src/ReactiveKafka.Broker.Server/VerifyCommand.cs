using ReactiveKafka.Broker.Storage;

namespace ReactiveKafka.Broker.Server;

/// <summary>
/// <c>reactivekafka-broker verify --data-dir DIR</c>: checks every batch's framing and CRC and every index of a data
/// directory and reports damage, changing nothing. Exit code 0 when no damage was found, 1 when some was, 2 on bad usage.
/// </summary>
internal static class VerifyCommand
{
    public const string HelpText = """
        reactivekafka-broker verify: checks a data directory without changing it.

        Usage: reactivekafka-broker verify --data-dir DIR

        Reads every segment of every partition, checks each record batch's framing and CRC-32C, and loads each
        index against its log (as Kafka's kafka-dump-log --verify does). Prints one line per damaged range
        (segment, position, bytes, the offsets it may hold, and what is wrong), notes for indexes the next start
        rebuilds, then a summary. Exit code 0: no damage; 1: damage found; 2: bad usage or no such directory.
        Run it on a stopped broker: the segment being written by a running one may look torn at its end.
        """;

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        string? dataDirectory = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h" or "-?":
                    Console.WriteLine(HelpText);
                    return 0;
                case "--data-dir" when i + 1 < args.Length:
                    dataDirectory = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"error: verify: unknown or incomplete option '{args[i]}'. Usage: reactivekafka-broker verify --data-dir DIR");
                    return 2;
            }
        }

        if (dataDirectory is null)
        {
            Console.Error.WriteLine("error: verify needs --data-dir DIR.");
            return 2;
        }

        LogVerifier.Report report;
        try
        {
            report = LogVerifier.Verify(dataDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: verify {Path.GetFullPath(dataDirectory)}: {ex.Message}");
            return 2;
        }

        foreach (var line in LogVerifier.Format(report, dataDirectory))
        {
            Console.WriteLine(line);
        }

        return report.Damage.Count == 0 ? 0 : 1;
    }
}
