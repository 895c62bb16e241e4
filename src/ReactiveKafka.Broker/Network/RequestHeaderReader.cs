using ReactiveKafka.Protocol;

namespace ReactiveKafka.Broker.Network;

/// <summary>
/// Reads the fixed part of a request header (api key, version, correlation id) before the body's
/// codec is known, so that an unknown API or version can be answered or refused.
/// </summary>
internal static class RequestHeaderReader
{
    /// <summary>The smallest valid request: api key, api version, correlation id, client id length.</summary>
    public const int MinimumSize = 10;

    /// <summary>
    /// Reads the rest of the header after api key, version and correlation id; the reader is left at
    /// the start of the body.
    /// </summary>
    /// <param name="reader">The frame, positioned after the correlation id.</param>
    /// <param name="isFlexibleHeader">Whether the header has a tagged-field section (request header v2).</param>
    /// <param name="clientId">The client id.</param>
    public static void ReadRest(ref ProtocolReader reader, bool isFlexibleHeader, out string? clientId)
    {
        // The client id is a classic nullable string even in header v2 (its flexibleVersions are "none").
        clientId = reader.ReadNullableString(compact: false);
        if (isFlexibleHeader)
        {
            reader.ReadUnknownTaggedFields();
        }
    }
}
