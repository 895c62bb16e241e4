using System.Runtime.InteropServices;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Crash-safe small-file writes: write a temp file, fsync it, rename it over the target, fsync the
/// directory. A reader after a crash sees the old content or the new one, never a mix. Stateless
/// and thread-safe as long as two callers do not write the same path at once.
/// </summary>
internal static class DurableFile
{
    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="content"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        // A short temp name: "<249-char topic>.json.tmp" would pass the 255-byte file name limit.
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "." + Guid.NewGuid().ToString("N") + ".tmp");
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, content, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// fsyncs a directory so that files created, renamed or deleted in it survive a crash. Windows
    /// has no equivalent (and NTFS journals metadata), so it is a no-op there.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A NUL-terminated UTF-8 byte array keeps the P/Invoke blittable (no string marshalling).
        var path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return; // Best effort: the directory is gone or unreadable; the file writes already succeeded.
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
