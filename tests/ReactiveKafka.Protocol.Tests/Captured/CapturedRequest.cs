using System.Reflection;
using ReactiveKafka.Protocol.Messages;
using Xunit;

namespace ReactiveKafka.Protocol.Tests.Captured;

/// <summary>A request frame decoded with the generated codecs: its header and body.</summary>
public sealed record CapturedRequest(byte[] Frame, RequestHeader Header, short HeaderVersion, object Body)
{
    public ApiKey ApiKey => (ApiKey)Header.RequestApiKey;

    public short ApiVersion => Header.RequestApiVersion;

    public T BodyAs<T>() => Assert.IsType<T>(Body);

    /// <summary>
    /// Decodes a request frame (without its size prefix): the header at the version
    /// <see cref="ApiVersionHeaders"/> gives, then the body with the generated <c>*Request.Read</c>.
    /// Asserts every byte of the frame is consumed.
    /// </summary>
    public static CapturedRequest Decode(byte[] frame)
    {
        Assert.True(frame.Length >= 4, "frame too short for an api key and version");
        var apiKey = (ApiKey)(short)((frame[0] << 8) | frame[1]);
        var apiVersion = (short)((frame[2] << 8) | frame[3]);
        var headerVersion = ApiVersionHeaders.RequestHeaderVersion(apiKey, apiVersion);

        var reader = new ProtocolReader(frame);
        var header = RequestHeader.Read(ref reader, headerVersion);
        Assert.Equal((short)apiKey, header.RequestApiKey);

        var type = typeof(RequestHeader).Assembly.GetType($"ReactiveKafka.Protocol.Messages.{apiKey}Request");
        Assert.True(type is not null, $"no generated codec for {apiKey}");
        var read = type!.GetMethod("Read", BindingFlags.Public | BindingFlags.Static, [typeof(ProtocolReader).MakeByRefType(), typeof(short)]);
        Assert.NotNull(read);

        object?[] arguments = [reader, apiVersion];
        object body;
        try
        {
            body = read!.Invoke(null, arguments)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new Xunit.Sdk.XunitException($"{apiKey} v{apiVersion} failed to decode: {e.InnerException}");
        }

        reader = (ProtocolReader)arguments[0]!;
        Assert.True(reader.End, $"{apiKey} v{apiVersion}: {reader.Remaining} of {frame.Length} bytes left undecoded");
        return new CapturedRequest(frame, header, headerVersion, body);
    }

    /// <summary>Parses a fixture's hex text (whitespace and <c>#</c> comment lines ignored).</summary>
    public static byte[] FromHex(string text)
    {
        var hex = string.Concat(text.Split('\n')
            .Where(line => !line.TrimStart().StartsWith('#'))
            .SelectMany(line => line.Where(c => !char.IsWhiteSpace(c))));
        return Convert.FromHexString(hex);
    }

    /// <summary>Formats a frame as fixture hex text: 32 bytes per line.</summary>
    public static string ToHex(byte[] frame, string comment)
    {
        var lines = new List<string> { "# " + comment };
        for (var i = 0; i < frame.Length; i += 32)
        {
            lines.Add(Convert.ToHexString(frame, i, Math.Min(32, frame.Length - i)).ToLowerInvariant());
        }

        return string.Join('\n', lines) + "\n";
    }
}
