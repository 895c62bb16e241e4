using Microsoft.Win32.SafeHandles;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Claims the data directory for one broker and proves it usable before anything in it is read: the directory exists
/// (created if missing) and is a directory, a file can be created and written in it and forced to disk, and no other
/// broker holds it. Kafka does the same with the <c>.lock</c> file of each log directory.
/// </summary>
/// <remarks>
/// On disk: <c>&lt;data&gt;/.lock</c>, holding the owner's process id as text, kept after the broker stops. The claim is
/// the open handle (an exclusive advisory lock on Unix, a share-none open on Windows), so a killed broker leaves no
/// stale claim. Not thread-safe; one per broker, disposed when it stops.
/// </remarks>
internal sealed class DataDirectoryLock : IDisposable
{
    /// <summary>The lock file's name.</summary>
    public const string FileName = ".lock";

    // One file-system block written, forced to disk and removed: a disk with no room left fails here.
    private const string ProbeName = ".write-probe";
    private const int ProbeBytes = 4096;

    private readonly SafeFileHandle _handle;

    private DataDirectoryLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>Creates (if needed), checks and claims <paramref name="directory"/>.</summary>
    /// <exception cref="BrokerStartException">It is a file, cannot be created or written, is full, or another broker holds it.</exception>
    public static DataDirectoryLock Acquire(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw Unusable(full, "it is a file, not a directory", null);
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unusable(full, $"it cannot be created ({Describe(ex)})", ex);
        }

        var path = Path.Combine(full, FileName);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (File.Exists(path) && IsHeldElsewhere(ex))
        {
            throw Unusable(full, $"another broker (in this or another process) is using it: {path} is locked", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unusable(full, $"it cannot be written ({Describe(ex)})", ex);
        }

        try
        {
            // A write forced to disk: a full disk or a read-only mount fails here, before recovery touches anything.
            var content = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, content, 0);
            RandomAccess.FlushToDisk(handle);
            Probe(Path.Combine(full, ProbeName));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            handle.Dispose();
            throw Unusable(full, $"it cannot be written ({Describe(ex)})", ex);
        }

        return new DataDirectoryLock(handle);
    }

    // Rewriting the small lock file in place needs no new space, so a full disk would pass it unnoticed.
    private static void Probe(string path)
    {
        try
        {
            using var probe = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None);
            RandomAccess.Write(probe, new byte[ProbeBytes], 0);
            RandomAccess.FlushToDisk(probe);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Releases the claim.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>A start failure naming the data directory, for any I/O error met while opening what it holds.</summary>
    public static BrokerStartException Unusable(string directory, string reason, Exception? inner) =>
        new($"Cannot use the data directory {directory}: {reason}.", inner);

    /// <summary>The operating system's reason, without the .NET wording around it.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        UnauthorizedAccessException => "permission denied",
        IOException io when IsErrno(io, 28) => "no space left on device",
        IOException io when IsErrno(io, 30) => "read-only file system",
        _ => ex.Message,
    };

    // .NET on Unix reports errno as the HResult of an IOException it has no Windows twin for; Windows reports its own codes.
    private static bool IsErrno(IOException ex, int errno) =>
        (!OperatingSystem.IsWindows() && ex.HResult == errno) || ex.Message.Contains(errno switch
        {
            28 => "No space left",
            30 => "Read-only file system",
            _ => "\0",
        }, StringComparison.OrdinalIgnoreCase);

    // The lock is taken: EWOULDBLOCK from flock (11 on Linux, 35 on macOS), a sharing or lock violation on Windows.
    private static bool IsHeldElsewhere(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) is 32 or 33
        : ex.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
}
