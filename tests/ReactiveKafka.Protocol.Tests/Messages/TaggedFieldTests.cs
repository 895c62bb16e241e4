using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Messages;

public sealed class TaggedFieldTests
{
    private static T RoundTrip<T>(T message, short version, out byte[] bytes)
        where T : IKafkaMessage<T>
    {
        bytes = MessageCatalog.Write(message, version);
        var reader = new ProtocolReader(bytes);
        var decoded = T.Read(ref reader, version);
        Assert.True(reader.End);
        return decoded;
    }

    [Fact]
    public void Unknown_tagged_fields_survive_a_round_trip()
    {
        var request = new ApiVersionsRequest
        {
            ClientSoftwareName = "x",
            ClientSoftwareVersion = "1",
            UnknownTaggedFields = [new RawTaggedField(3, [1, 2, 3]), new RawTaggedField(200, [])],
        };

        var decoded = RoundTrip(request, 3, out var bytes);

        Assert.Equal(request.UnknownTaggedFields, decoded.UnknownTaggedFields);
        Assert.Equal(bytes, MessageCatalog.Write(decoded, 3));
    }

    [Fact]
    public void Unknown_tagged_fields_of_nested_structs_survive_a_round_trip()
    {
        var response = new MetadataResponse
        {
            Topics = [new MetadataResponse.MetadataResponseTopic { Name = "t", UnknownTaggedFields = [new RawTaggedField(7, [9])] }],
        };

        var decoded = RoundTrip(response, 12, out _);

        Assert.Equal([new RawTaggedField(7, [9])], decoded.Topics[0].UnknownTaggedFields!);
    }

    [Fact]
    public void Known_and_unknown_tagged_fields_are_written_in_tag_order()
    {
        // ApiVersionsResponse v3 knows tags 0-3; unknown tag 1 is impossible, so use 4 and 9 around known 3.
        var response = new ApiVersionsResponse
        {
            FinalizedFeaturesEpoch = 5, // tag 1
            ZkMigrationReady = true, // tag 3
            UnknownTaggedFields = [new RawTaggedField(4, [0xAA]), new RawTaggedField(9, [0xBB])],
        };

        var decoded = RoundTrip(response, 3, out var bytes);

        Assert.Equal(5, decoded.FinalizedFeaturesEpoch);
        Assert.True(decoded.ZkMigrationReady);
        Assert.Equal(response.UnknownTaggedFields, decoded.UnknownTaggedFields);
        // The tagged section is the tail: count 4, then tag 1 (int64, 8 bytes), tag 3 (bool), tag 4, tag 9.
        byte[] tail = [4, 1, 8, 0, 0, 0, 0, 0, 0, 0, 5, 3, 1, 1, 4, 1, 0xAA, 9, 1, 0xBB];
        Assert.Equal(tail, bytes[^tail.Length..]);
    }

    [Fact]
    public void Tagged_fields_at_their_default_are_not_written()
    {
        var plain = MessageCatalog.Write(new ApiVersionsResponse(), 3);
        // ErrorCode, empty ApiKeys (compact 0 → 1), ThrottleTimeMs, no tagged fields.
        Assert.Equal(new byte[] { 0, 0, 1, 0, 0, 0, 0, 0 }, plain);
    }

    [Fact]
    public void Tagged_structs_are_written_only_when_they_differ_from_their_default()
    {
        var request = new FetchRequest();
        var withoutReplicaState = MessageCatalog.Write(request, 15);
        request.ReplicaState.ReplicaEpoch = 7;
        var withReplicaState = MessageCatalog.Write(request, 15);

        Assert.True(withReplicaState.Length > withoutReplicaState.Length);
        var decoded = RoundTrip(request, 15, out _);
        Assert.Equal(7, decoded.ReplicaState.ReplicaEpoch);
    }
}
