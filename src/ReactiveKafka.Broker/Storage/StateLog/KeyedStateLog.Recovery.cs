using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Storage.StateLog;

internal sealed partial class KeyedStateLog<TRecord>
{
    /// <summary>
    /// Recovery, in passes:
    /// 1. delete the temporary file of a compaction that crashed before its rename (the log itself is then complete);
    /// 2. replay every intact frame, stopping at the first short, oversized, CRC-failing or undecodable one (a write torn
    ///    by a crash: nothing after it was acknowledged);
    /// 3. cut the file there, so later appends do not follow garbage;
    /// 4. compact when over the thresholds (inline: nothing is written yet).
    /// </summary>
    private void Recover()
    {
        var temporary = Path + CompactingSuffix;
        if (File.Exists(temporary))
        {
            _logger.LogWarning("Deleting {Temporary}: a compaction stopped before its rename; {Path} is complete", temporary, Path);
            File.Delete(temporary);
        }

        var validLength = Replay();
        if (validLength < _file.Length)
        {
            _logger.LogWarning("Truncating {Path} from {Length} to {Valid} bytes: torn or corrupt tail", Path, _file.Length, validLength);
            _file.SetLength(validLength);
            _file.Flush(flushToDisk: true);
        }

        _file.Seek(0, SeekOrigin.End);
        _length = _file.Length;
        MaybeCompact(inline: true);
    }

    private long Replay()
    {
        _file.Seek(0, SeekOrigin.Begin);
        long position = 0;
        var one = new TRecord[1];
        while (StateLogFrame.TryRead(_file, _machine.MaxPayloadLength) is { } payload)
        {
            try
            {
                one[0] = _machine.Decode(payload);
            }
            catch (InvalidDataException)
            {
                return position;
            }

            _machine.Apply(one);
            _recordsInFile++;
            position += StateLogFrame.HeaderLength + payload.Length;
        }

        return position;
    }
}
