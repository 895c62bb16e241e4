using System.Diagnostics;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// A small tmpfs mounted on a test directory, to make conditions that permission bits cannot make for root: a
/// read-only file system, a full disk. Needs Linux and the right to mount; otherwise the test is skipped with the reason.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs with <paramref name="options"/> (e.g. <c>size=1m</c>, <c>ro</c>) on a new directory, or skips the test.</summary>
    public static TmpfsMount MountOrSkip(string options)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("A tmpfs mount needs Linux.");
        }

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rk-tmpfs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            Assert.Skip($"Cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {output.Trim()}");
        }

        return new TmpfsMount(path);
    }

    /// <summary>Remounts with <paramref name="options"/> (e.g. <c>remount,ro</c>).</summary>
    public void Remount(string options)
    {
        var (code, output) = Run("mount", "-o", options, Path);
        Assert.True(code == 0, $"mount -o {options} {Path} failed: {output}");
    }

    /// <summary>Fills the file system to the last byte.</summary>
    public void Fill()
    {
        using var file = new FileStream(System.IO.Path.Combine(Path, "filler"), FileMode.Create);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                file.Write(block);
                file.Flush();
            }
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
