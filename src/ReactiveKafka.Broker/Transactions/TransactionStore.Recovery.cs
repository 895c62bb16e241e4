using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Transactions;

internal sealed partial class TransactionStore
{
    private const string CompactingSuffix = ".compacting";

    /// <summary>
    /// Recovery, in passes:
    /// 1. drop a temporary file of a compaction that crashed before its rename (the log itself is then complete);
    /// 2. replay every intact frame into the durable view, stopping at the first short, oversized, CRC-failing or
    ///    undecodable frame (a write torn by a crash: nothing after it was acknowledged);
    /// 3. truncate the file there, so later appends do not follow garbage;
    /// 4. compact when the file is large and mostly superseded.
    /// </summary>
    private void Recover()
    {
        var temporary = _file.Name + CompactingSuffix;
        if (File.Exists(temporary))
        {
            File.Delete(temporary);
        }

        var validLength = ReplayFrames();
        if (validLength < _file.Length)
        {
            _logger.LogWarning("Truncating {Path} from {Length} to {Valid} bytes: torn or corrupt tail", _file.Name, _file.Length, validLength);
            _file.SetLength(validLength);
            _file.Flush(flushToDisk: true);
        }

        _file.Seek(0, SeekOrigin.End);
        _length = _file.Length;
        if (_length >= CompactionMinBytes && _durable.Count * 2 <= _recordsInFile)
        {
            Compact(LiveRecords());
        }
    }

    private long ReplayFrames()
    {
        _file.Seek(0, SeekOrigin.Begin);
        var header = new byte[TransactionLogRecord.HeaderLength];
        long position = 0;
        while (true)
        {
            if (_file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            {
                return position;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (length <= 0 || length > TransactionLogRecord.MaxPayloadLength)
            {
                return position;
            }

            var payload = new byte[length];
            if (_file.ReadAtLeast(payload, length, throwOnEndOfStream: false) < length || Crc32C.Compute(payload) != crc)
            {
                return position;
            }

            TransactionLogRecord record;
            try
            {
                record = TransactionLogRecord.FromPayload(payload);
            }
            catch (InvalidDataException)
            {
                return position;
            }

            Apply(record);
            _recordsInFile++;
            position += TransactionLogRecord.HeaderLength + length;
        }
    }

    /// <summary>
    /// Rewrites the file with only <paramref name="live"/>: temporary file, fsync, atomic rename over the log (a crash
    /// leaves either the old or the new file complete), then the handle switches to the new file. Runs at open or on
    /// the flusher, never beside another write.
    /// </summary>
    private void Compact(List<TransactionLogRecord> live)
    {
        var temporary = _file.Name + CompactingSuffix;
        using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            foreach (var record in live)
            {
                output.Write(record.ToFrame());
            }

            output.Flush(flushToDisk: true);
        }

        var before = _file.Length;
        var path = _file.Name;
        File.Move(temporary, path, overwrite: true);
        _file.Dispose();
        _file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
        _file.Seek(0, SeekOrigin.End);
        Volatile.Write(ref _length, _file.Length);
        _recordsInFile = live.Count;
        Interlocked.Increment(ref _compactions);
        _logger.LogInformation("Compacted {Path}: {Before} bytes to {Records} live records", path, before, live.Count);
    }
}
