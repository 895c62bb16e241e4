using ReactiveKafka.Broker.Server;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>
/// A bad security combination on the command line fails the start with the broker's message naming its option, and
/// the server adds the flags that set it: each case is a real start of the broker from parsed arguments.
/// </summary>
public sealed class OptionFlagsTests : IDisposable
{
    private static readonly Microsoft.Extensions.Logging.ILoggerFactory NoLogs = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "rk-flags-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<string[], string> BadCombinations => new()
    {
        { ["--listeners", "SASL_PLAINTEXT://127.0.0.1:0"], "--sasl-users" },
        { ["--listeners", "SSL://127.0.0.1:0"], "--ssl-cert" },
        { ["--listeners", "SASL_PLAINTEXT://127.0.0.1:0", "--sasl-users", "a:b", "--sasl-mechanisms", "GSSAPI"], "--sasl-mechanisms" },
        { ["--listeners", "PLAINTEXT://127.0.0.1:0,FOO://127.0.0.1:0"], "--listeners" },
        { ["--listeners", "PLAINTEXT://127.0.0.1:9400,SASL_PLAINTEXT://127.0.0.1:9400", "--sasl-users", "a:b"], "--listeners" },
        { ["--listeners", "PLAINTEXT://127.0.0.1:0", "--advertised-listeners", "OTHER://h:1"], "--advertised-listeners" },
    };

    [Theory]
    [MemberData(nameof(BadCombinations))]
    public async Task BadCombination_FailsTheStart_AndIsMappedToTheFlag(string[] args, string flag)
    {
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
        {
            await using var broker = await KafkaBroker.StartAsync(ServerArguments.Parse(["--data-dir", _directory, .. args]).ToOptions(NoLogs), TestContext.Current.CancellationToken);
        });

        Assert.Contains(flag, OptionFlags.For(error.ParamName));
    }

    [Fact]
    public void UnknownOption_HasNoFlags()
    {
        Assert.Null(OptionFlags.For("NotAnOption"));
        Assert.Null(OptionFlags.For(null));
    }

    public void Dispose() => Clients.BrokerFixture.DeleteDirectory(_directory);
}
