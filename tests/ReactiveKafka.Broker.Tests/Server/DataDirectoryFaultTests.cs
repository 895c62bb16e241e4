using ReactiveKafka.Broker.Tests.Clients;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// A data directory the broker cannot use stops the start with one clear line (server) or a
/// <see cref="BrokerStartException"/> (embedded) naming the path and the reason; never an unhandled exception.
/// Tests run as root here, where permission bits stop nothing: read-only and full disks are tmpfs mounts, and the
/// wrong owner is the server run as <c>nobody</c>; where that cannot be arranged the test is skipped with the reason.
/// </summary>
public sealed class DataDirectoryFaultTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "rk-datadir-" + Guid.NewGuid().ToString("N")[..8]);

    public DataDirectoryFaultTests() => Directory.CreateDirectory(_scratch);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => BrokerFixture.DeleteDirectory(_scratch);

    [Fact]
    public async Task StartAsync_DataDirectoryIsAFile_ThrowsNamingThePath()
    {
        var file = Path.Combine(_scratch, "data");
        await File.WriteAllTextAsync(file, "not a directory", Ct);

        var error = await Assert.ThrowsAsync<BrokerStartException>(() => KafkaBroker.StartAsync(Options(file), Ct));

        Assert.Equal($"Cannot use the data directory {file}: it is a file, not a directory.", error.Message);
    }

    [Fact]
    public async Task Server_DataDirectoryIsAFile_OneLineAndNonZeroExit()
    {
        var file = Path.Combine(_scratch, "data");
        await File.WriteAllTextAsync(file, "not a directory", Ct);

        await AssertServerFailsAsync(file, "it is a file, not a directory");
    }

    [Fact]
    public async Task StartAsync_ReadOnlyFileSystemWithData_ThrowsNamingThePathBeforeServing()
    {
        using var mount = TmpfsMount.MountOrSkip("size=8m");
        var data = Path.Combine(mount.Path, "data");
        await using (await KafkaBroker.StartAsync(Options(data), Ct))
        {
            // A data directory as a broker leaves it, cleanly closed.
        }

        mount.Remount("remount,ro");

        var error = await Assert.ThrowsAsync<BrokerStartException>(() => KafkaBroker.StartAsync(Options(data), Ct));
        Assert.Contains(data, error.Message);
        Assert.Contains("read-only file system", error.Message);
    }

    [Fact]
    public async Task Server_ReadOnlyFileSystem_OneLineAndNonZeroExit()
    {
        using var mount = TmpfsMount.MountOrSkip("ro,size=1m");

        await AssertServerFailsAsync(Path.Combine(mount.Path, "data"), "it cannot be created (read-only file system)");
        await AssertServerFailsAsync(mount.Path, "it cannot be written (read-only file system)");
    }

    [Fact]
    public async Task Server_FullDiskAtStart_OneLineAndNonZeroExit()
    {
        using var mount = TmpfsMount.MountOrSkip("size=256k");
        var data = Path.Combine(mount.Path, "data");
        await using (await KafkaBroker.StartAsync(Options(data), Ct))
        {
        }

        mount.Fill();

        await AssertServerFailsAsync(data, "no space left on device");
    }

    [Fact]
    public async Task Server_DataDirectoryOfAnotherOwner_OneLineAndNonZeroExit()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || TmpfsMount.Run("setpriv", "--version").Code != 0)
        {
            Assert.Skip("Running the server as another user needs Linux, root and setpriv.");
            return;
        }

        var data = Path.Combine(_scratch, "owned-by-root");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(_scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                        | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        var serverDll = Path.Combine(AppContext.BaseDirectory, "reactivekafka-broker.dll");
        var (code, output) = TmpfsMount.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
            "dotnet", serverDll, "--data-dir", data, "--listen", "127.0.0.1:0");
        if (output.Contains("Could not execute", StringComparison.Ordinal) || output.Contains("Permission denied", StringComparison.Ordinal) && !output.Contains("error:", StringComparison.Ordinal))
        {
            Assert.Skip($"The server cannot run as nobody here: {output.Trim()}");
        }

        AssertOneErrorLine(code, output, data, "permission denied");
    }

    private static BrokerOptions Options(string directory) => new() { DataDirectory = directory, Listener = "127.0.0.1:0" };

    private static async Task AssertServerFailsAsync(string dataDirectory, string reason)
    {
        var (code, output) = await ServerProcess.RunToExitAsync(ExitTimeout, "--data-dir", dataDirectory, "--listen", "127.0.0.1:0");
        AssertOneErrorLine(code, output, dataDirectory, reason);
    }

    private static void AssertOneErrorLine(int code, string output, string dataDirectory, string reason)
    {
        Assert.True(code != 0, $"The server exited with 0. Output:\n{output}");
        var errorLine = Assert.Single(output.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(Path.GetFullPath(dataDirectory), errorLine);
        Assert.Contains(reason, errorLine);
        Assert.DoesNotContain("   at ", output); // no stack trace
        Assert.DoesNotContain("Unhandled exception", output);
    }
}
