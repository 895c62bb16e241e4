using Xunit;
using ReactiveKafka.Protocol.Messages;

namespace ReactiveKafka.Protocol.Tests.Messages;

/// <summary>Every generated message, at every version it defines: random fill → write → read → compare.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<string, short> Cases => MessageCatalog.AllVersions();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Round_trips_every_field_present_at_the_version(string messageName, short version)
    {
        var type = MessageCatalog.Find(messageName);
        // Several fills per case: nullability and list lengths are random, so one fill covers little.
        for (var round = 0; round < 5; round++)
        {
            var original = (IKafkaMessage)Activator.CreateInstance(type)!;
            new MessageFiller(StableSeed(messageName, version, round)).Fill(original, version);

            var bytes = MessageCatalog.Write(original, version);
            var (decoded, remaining) = MessageCatalog.Read(type, bytes, version);

            Assert.Equal(0, remaining);
            Assert.Null(MessageComparer.FirstDifference(original, decoded, version, messageName));
            Assert.Equal(bytes, MessageCatalog.Write((IKafkaMessage)decoded, version));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_default_message_round_trips(string messageName, short version)
    {
        var type = MessageCatalog.Find(messageName);
        var original = (IKafkaMessage)Activator.CreateInstance(type)!;

        var bytes = MessageCatalog.Write(original, version);
        var (decoded, remaining) = MessageCatalog.Read(type, bytes, version);

        Assert.Equal(0, remaining);
        Assert.Null(MessageComparer.FirstDifference(original, decoded, version, messageName));
    }

    [Fact]
    public void Every_spec_in_the_catalog_has_been_generated()
    {
        // 2 headers, 2 consumer-protocol data messages, and a request and a response per API in the generated table.
        Assert.Equal(4 + (2 * ApiMessages.Generated.Count), MessageCatalog.MessageTypes.Count);
    }

    [Fact]
    public void The_comparer_and_filler_see_differences()
    {
        // Guards the harness itself: two different fills must compare unequal, or the round trips prove nothing.
        var a = new MetadataResponse();
        var b = new MetadataResponse();
        new MessageFiller(1).Fill(a, 12);
        new MessageFiller(2).Fill(b, 12);

        Assert.NotNull(MessageComparer.FirstDifference(a, b, 12, "MetadataResponse"));
        Assert.NotEqual(a.ThrottleTimeMs, new MetadataResponse().ThrottleTimeMs);
    }

    internal static int StableSeed(string name, short version, int round)
    {
        // string.GetHashCode is randomised per process; failures must reproduce.
        var hash = 17;
        foreach (var c in name)
        {
            hash = unchecked(hash * 31 + c);
        }

        return unchecked(hash * 31 + version) * 31 + round;
    }
}
