using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Groups;

internal sealed partial class OffsetStore
{
    /// <summary>Below this size the file is never compacted on open.</summary>
    private const long CompactionMinBytes = 64 * 1024;

    /// <summary>
    /// Recovery, in passes:
    /// 1. replay every intact frame into memory, stopping at the first short, oversized or
    ///    CRC-failing frame (a write torn by a crash);
    /// 2. truncate the file there, so later appends do not follow garbage;
    /// 3. when the file is large and at least half of its records are dead, rewrite it with only the
    ///    live ones (temporary file, fsync, atomic rename).
    /// </summary>
    private void Recover()
    {
        var (validLength, records) = ReplayFrames();
        if (validLength < _file.Length)
        {
            _logger.LogWarning("Truncating {Path} from {Length} to {Valid} bytes: torn or corrupt tail", _file.Name, _file.Length, validLength);
            _file.SetLength(validLength);
            _file.Flush(flushToDisk: true);
        }

        var live = LiveRecords();
        if (validLength >= CompactionMinBytes && live.Count * 2 <= records)
        {
            Compact(live);
        }

        _file.Seek(0, SeekOrigin.End);
        _length = _file.Length;
    }

    private (long ValidLength, int Records) ReplayFrames()
    {
        var temporary = _file.Name + ".compacting";
        if (File.Exists(temporary))
        {
            // A compaction that crashed before its rename: the original file is still complete.
            File.Delete(temporary);
        }

        _file.Seek(0, SeekOrigin.Begin);
        var header = new byte[OffsetLogRecord.HeaderLength];
        long position = 0;
        var count = 0;
        while (true)
        {
            if (_file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            {
                return (position, count);
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (length <= 0 || length > OffsetLogRecord.MaxPayloadLength)
            {
                return (position, count);
            }

            var payload = new byte[length];
            if (_file.ReadAtLeast(payload, length, throwOnEndOfStream: false) < length || Crc32C.Compute(payload) != crc)
            {
                return (position, count);
            }

            OffsetLogRecord record;
            try
            {
                record = OffsetLogRecord.FromPayload(payload);
            }
            catch (InvalidDataException)
            {
                return (position, count);
            }

            Apply(record);
            count++;
            position += OffsetLogRecord.HeaderLength + length;
        }
    }

    private void Compact(List<OffsetLogRecord> live)
    {
        var temporary = _file.Name + ".compacting";
        using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            foreach (var record in live)
            {
                output.Write(record.ToFrame());
            }

            output.Flush(flushToDisk: true);
        }

        // The open handle keeps reading the old inode; switch it to the compacted file.
        // Linux rename is atomic, so a crash leaves either the old or the new file complete.
        var before = _file.Length;
        File.Move(temporary, _file.Name, overwrite: true);
        _logger.LogInformation("Compacted {Path}: {Before} bytes to {Records} live records", _file.Name, before, live.Count);
        ReopenAfterCompaction();
    }
}
