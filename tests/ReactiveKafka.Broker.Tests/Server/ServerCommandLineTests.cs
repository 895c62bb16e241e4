using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// Every flag of the standalone server, started as a real process with a bad value: it exits with code 2 and one
/// <c>error:</c> line on stderr naming the flag the user typed (not the BrokerOptions property behind it) and what it
/// accepts, without a stack trace and without starting a broker.
/// </summary>
public sealed class ServerCommandLineTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "rk-cli-" + Guid.NewGuid().ToString("N"));

    /// <summary>Arguments, the flag the error must name, and a part of the accepted range it must state (or null).</summary>
    public static TheoryData<string[], string, string?> BadValues => new()
    {
        { ["--node-id", "-1"], "--node-id", "from 0 to 2147483647" },
        { ["--partitions", "0"], "--partitions", "from 1 to 10000" },
        { ["--partitions", "10001"], "--partitions", "from 1 to 10000" },
        { ["--partitions", "many"], "--partitions", "whole number" },
        { ["--segment-bytes", "100"], "--segment-bytes", "14336" },
        { ["--retention-ms", "-7"], "--retention-ms", "-1 (keep forever)" },
        { ["--retention-ms", "0"], "--retention-ms", "-1 (keep forever)" },
        { ["--retention-ms", "9223372036854775807"], "--retention-ms", "922337203685477" },
        { ["--retention-bytes", "-9"], "--retention-bytes", "-1 (no limit)" },
        { ["--retention-bytes", "0"], "--retention-bytes", "-1 (no limit)" },
        { ["--cleaner-dedupe-buffer-bytes", "10"], "--cleaner-dedupe-buffer-bytes", "at least 1024" },
        { ["--cleaner-io-max-bytes-per-second", "-2"], "--cleaner-io-max-bytes-per-second", "-1 (no limit)" },
        { ["--cleaner-backoff-ms", "0"], "--cleaner-backoff-ms", "from 1 to 2147483647" },
        { ["--cleaner-backoff-ms", "9999999999"], "--cleaner-backoff-ms", "from 1 to 2147483647" },
        { ["--producer-id-expiration-ms", "0"], "--producer-id-expiration-ms", "from 1 to" },
        { ["--flush", "sometimes"], "--flush", "durable, interval or os" },
        { ["--flush-interval-ms", "0"], "--flush-interval-ms", "from 1 to" },
        { ["--max-request-bytes", "10"], "--max-request-bytes", "from 1024 to" },
        { ["--max-message-bytes", "10"], "--max-message-bytes", "from 1024 to" },
        { ["--max-message-bytes", "5000", "--max-request-bytes", "4096"], "--max-message-bytes", "MaxRequestSize (4096)" },
        { ["--max-connections", "0"], "--max-connections", "from 1 to" },
        { ["--max-connections-per-ip", "-1"], "--max-connections-per-ip", "from 0 to" },
        { ["--max-connections-per-ip", "0"], "--max-connections-per-ip", "MaxConnectionsPerIpOverrides" },
        { ["--max-connections-per-ip-overrides", "127.0.0.1:-1"], "--max-connections-per-ip-overrides", "from 0 to" },
        { ["--max-connections-per-ip-overrides", "host.example:5"], "--max-connections-per-ip-overrides", "not an IP address" },
        { ["--connections-max-idle-ms", "-2"], "--connections-max-idle-ms", "-1 (never close)" },
        { ["--partial-request-timeout-ms", "0"], "--partial-request-timeout-ms", "-1 (no deadline)" },
        { ["--group-initial-rebalance-delay-ms", "-1"], "--group-initial-rebalance-delay-ms", "from 0 to" },
        { ["--transaction-max-timeout-ms", "0"], "--transaction-max-timeout-ms", "from 1 to 2147483647" },
        { ["--transaction-abort-timed-out-interval-ms", "0"], "--transaction-abort-timed-out-interval-ms", "from 1 to" },
        { ["--transactional-id-expiration-ms", "0"], "--transactional-id-expiration-ms", "from 1 to" },
        { ["--transaction-remove-expired-interval-ms", "0"], "--transaction-remove-expired-interval-ms", "from 1 to" },
        { ["--connections-max-reauth-ms", "-5"], "--connections-max-reauth-ms", "-1 (no re-authentication)" },
        { ["--listen", "nowhere"], "--listen", "host:port" },
        { ["--advertised", "example:0"], "--advertised", "from 1 to 65535" },
        { ["--ssl-client-auth", "maybe"], "--ssl-client-auth", "none, requested or required" },
        { ["--ssl-protocols", "TLSv1.0"], "--ssl-protocols", "TLSv1.2" },
        { ["--log-level", "loud"], "--log-level", null },
        { ["--super-users", "admin"], "--super-users", "TYPE:NAME" },
        { ["--listeners", "SSL://127.0.0.1:0"], "--ssl-cert", null },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task BadValue_ExitsWith2_AndOneErrorLineNamingTheFlag(string[] args, string flag, string? range)
    {
        var (exitCode, stdout, stderr) = await ServerProcess.RunToExitSeparatelyAsync(
            TimeSpan.FromSeconds(60), ["--data-dir", _directory, "--listen", "127.0.0.1:0", .. args]);

        Assert.True(exitCode == 2, $"exit code {exitCode}; stdout:\n{stdout}\nstderr:\n{stderr}");
        var error = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(flag, error, StringComparison.Ordinal);
        if (range is not null)
        {
            Assert.Contains(range, error, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("crit", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("READY", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--retention-ms", "-1")]
    [InlineData("--retention-bytes", "-1")]
    [InlineData("--connections-max-idle-ms", "-1")]
    public void MinusOne_IsAcceptedWhereItMeansNone(string flag, string value)
    {
        var options = ReactiveKafka.Broker.Server.ServerArguments.Parse([flag, value]).ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        options.Validate();
        Assert.Null(flag switch
        {
            "--retention-ms" => (object?)options.Retention,
            "--retention-bytes" => options.RetentionBytes,
            _ => options.ConnectionsMaxIdle,
        });
    }

    public void Dispose() => Clients.BrokerFixture.DeleteDirectory(_directory);
}
