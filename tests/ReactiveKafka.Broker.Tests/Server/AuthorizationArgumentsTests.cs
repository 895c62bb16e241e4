using ReactiveKafka.Broker.Server;
using Xunit;

namespace ReactiveKafka.Broker.Tests.Server;

/// <summary>The standalone server's authorization options (<c>--authorizer</c>, <c>--super-users</c>, <c>--allow-everyone-if-no-acl-found</c>).</summary>
public sealed class AuthorizationArgumentsTests
{
    private static readonly Microsoft.Extensions.Logging.ILoggerFactory NoLogs = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    [Fact]
    public void NoAuthorizationOption_LeavesTheAuthorizerOff()
    {
        Assert.Null(ServerArguments.Parse([]).ToOptions(NoLogs).Authorization);
    }

    [Fact]
    public void Authorizer_AloneEnforcesAclsWithNoSuperUsers()
    {
        Assert.Equal(new BrokerAuthorizationOptions(), ServerArguments.Parse(["--authorizer"]).ToOptions(NoLogs).Authorization);
    }

    [Fact]
    public void SuperUsersAndAllowEveryone_MapToTheOptions()
    {
        var options = ServerArguments.Parse(["--super-users", "User:admin;User:ops", "--allow-everyone-if-no-acl-found"]).ToOptions(NoLogs).Authorization!;

        Assert.Equal(["User:admin", "User:ops"], options.SuperUsers);
        Assert.True(options.AllowEveryoneIfNoAclFound);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("User:")]
    [InlineData(";")]
    public void SuperUsers_NotAPrincipal_IsRefusedNamingTheOption(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => ServerArguments.Parse(["--super-users", value]));
        Assert.StartsWith("--super-users:", error.Message);
    }

    [Fact]
    public void Help_ListsTheAuthorizationOptions()
    {
        Assert.Contains("--authorizer", ServerArguments.HelpText);
        Assert.Contains("--super-users", ServerArguments.HelpText);
        Assert.Contains("--allow-everyone-if-no-acl-found", ServerArguments.HelpText);
    }
}
