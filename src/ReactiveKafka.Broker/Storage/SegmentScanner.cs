using System.Buffers;
using Microsoft.Win32.SafeHandles;
using ReactiveKafka.Protocol.Records;

namespace ReactiveKafka.Broker.Storage;

/// <summary>
/// Walks the batches of one segment file, read-only: each well-formed batch is handed to a visitor, and each damaged
/// stretch (a torn, malformed, out-of-order or CRC-failing batch) is reported with the position where valid batches
/// resume, found by scanning forward for the next batch whose header is plausible and whose CRC matches. Recovery
/// (<see cref="LogSegment"/>) and the server's verify mode use it; it never changes the file.
/// </summary>
/// <remarks>
/// The file is read in 1 MiB chunks (a batch larger than that in a buffer of its size), so walking a segment costs a few
/// large reads, not one per batch. Not thread-safe: one walk per instance.
/// </remarks>
internal sealed class SegmentScanner : IDisposable
{
    private const int ChunkBytes = 1 << 20;

    private readonly SafeFileHandle _file;
    private readonly long _segmentBaseOffset;
    private readonly long _end;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
    private long _bufferStart;
    private int _bufferLength;

    /// <summary>A walk over <paramref name="file"/>, whose first <paramref name="length"/> bytes are the segment.</summary>
    public SegmentScanner(SafeFileHandle file, long segmentBaseOffset, long length)
    {
        _file = file;
        _segmentBaseOffset = segmentBaseOffset;
        _end = length;
    }

    /// <summary>Called for each well-formed batch, in file order.</summary>
    public delegate void BatchVisitor(long position, in RecordBatchHeader header);

    /// <summary>A damaged stretch found by <see cref="Scan"/>.</summary>
    /// <param name="Position">Where it starts.</param>
    /// <param name="Length">Its bytes, up to the next valid batch or the end of the file.</param>
    /// <param name="FirstOffset">One past the last good batch before it.</param>
    /// <param name="FollowingBaseOffset">The base offset of the valid batch after it; null when it runs to the end.</param>
    /// <param name="ClaimedLastOffset">The last offset its own header claims, when that header looks plausible.</param>
    /// <param name="Reason">What is wrong.</param>
    public readonly record struct Damage(long Position, long Length, long FirstOffset, long? FollowingBaseOffset, long? ClaimedLastOffset, string Reason)
    {
        /// <summary>Whether no valid batch follows it in the file (a torn tail, if it lies where a crash can tear).</summary>
        public bool RunsToEnd => FollowingBaseOffset is null;
    }

    /// <summary>What a walk found.</summary>
    /// <param name="NextOffset">One past the last offset of the last good batch (or the start's next offset).</param>
    /// <param name="Damages">The damaged stretches, in file order.</param>
    public readonly record struct Result(long NextOffset, IReadOnlyList<Damage> Damages);

    /// <summary>
    /// Walks from <paramref name="start"/> (a batch boundary) to the end. Batches at or after
    /// <paramref name="validateFrom"/> have their CRC checked; earlier ones only their framing. The
    /// <paramref name="known"/> ranges (sorted) are skipped, not reported again.
    /// </summary>
    public Result Scan(long start, long nextOffset, long validateFrom, IReadOnlyList<DamagedRange> known, BatchVisitor? visitor)
    {
        var damages = new List<Damage>();
        var position = start;
        var next = nextOffset;
        var knownIndex = 0;
        while (position < _end)
        {
            while (knownIndex < known.Count && known[knownIndex].End <= position)
            {
                knownIndex++;
            }

            if (knownIndex < known.Count && known[knownIndex].Position == position)
            {
                var range = known[knownIndex];
                next = Math.Max(next, range.LastOffset + 1);
                position = range.End;
                continue;
            }

            if (Check(position, next, validateFrom, out var header) is not { } problem)
            {
                visitor?.Invoke(position, header);
                next = header.LastOffset + 1;
                position += TotalSize(header);
                continue;
            }

            var resume = FindNextValid(position, header, next);
            long? claimed = header.Magic == RecordBatchHeader.CurrentMagic && header.BaseOffset >= next && header.LastOffsetDelta >= 0 &&
                            header.LastOffset - _segmentBaseOffset <= int.MaxValue ? header.LastOffset : null;
            damages.Add(new Damage(position, (resume?.Position ?? _end) - position, next, resume?.BaseOffset, claimed, problem));
            if (resume is null)
            {
                break;
            }

            position = resume.Value.Position;
        }

        return new Result(next, damages);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    // Null when the batch at `position` is well-formed (and, from validateFrom on, its CRC matches); else the problem.
    private string? Check(long position, long next, long validateFrom, out RecordBatchHeader header)
    {
        var head = Get(position, RecordBatchHeader.Size);
        if (!RecordBatchHeader.TryRead(head, out header))
        {
            return $"torn batch header at position {position}: {_end - position} bytes left";
        }

        if (header.Magic != RecordBatchHeader.CurrentMagic || header.BatchLength < RecordBatchHeader.Size - RecordBatchHeader.LogOverhead ||
            header.LastOffsetDelta < 0)
        {
            return $"malformed batch header at position {position} (magic {header.Magic}, batch length {header.BatchLength}, last offset delta {header.LastOffsetDelta})";
        }

        var total = TotalSize(header);
        if (position + total > _end)
        {
            return $"torn batch at position {position}: {total} bytes declared, {_end - position} present";
        }

        if (header.BaseOffset < next || header.LastOffset - _segmentBaseOffset > int.MaxValue)
        {
            return $"batch at position {position} has offset {header.BaseOffset}, expected at least {next}";
        }

        if (position + total > validateFrom && RecordBatchHeader.Validate(Get(position, (int)total), out _) is { } error)
        {
            return $"corrupt batch at position {position}: {error}";
        }

        return null;
    }

    // The first position after a damaged batch where a valid batch starts: where its own header says the next batch is,
    // when that is believable, or else the first plausible header further on whose CRC matches.
    private (long Position, long BaseOffset)? FindNextValid(long damaged, in RecordBatchHeader header, long next)
    {
        if (header.Magic == RecordBatchHeader.CurrentMagic && header.BatchLength >= RecordBatchHeader.Size - RecordBatchHeader.LogOverhead &&
            damaged + TotalSize(header) < _end && IsValidAt(damaged + TotalSize(header), next, out var following))
        {
            return (damaged + TotalSize(header), following);
        }

        for (var candidate = damaged + 1; candidate + RecordBatchHeader.Size <= _end;)
        {
            // Jump to the next byte that could be a magic 2 at its header's offset 16.
            var window = Get(candidate + RecordBatchHeader.MagicOffset, (int)Math.Min(ChunkBytes / 2, _end - candidate - RecordBatchHeader.MagicOffset));
            var hit = window.IndexOf((byte)RecordBatchHeader.CurrentMagic);
            if (hit < 0)
            {
                candidate += Math.Max(1, window.Length);
                continue;
            }

            candidate += hit;
            if (candidate + RecordBatchHeader.Size <= _end && IsValidAt(candidate, next, out var baseOffset))
            {
                return (candidate, baseOffset);
            }

            candidate++;
        }

        return null;
    }

    // In 64 bits: a damaged length near int.MaxValue must not wrap around to a small or negative size.
    private static long TotalSize(in RecordBatchHeader header) => (long)header.BatchLength + RecordBatchHeader.LogOverhead;

    private bool IsValidAt(long position, long next, out long baseOffset)
    {
        var ok = Check(position, next, validateFrom: 0, out var header) is null;
        baseOffset = header.BaseOffset;
        return ok;
    }

    // `count` bytes at `position` (fewer at the end of the file), from the chunk buffer, refilled or grown as needed.
    private ReadOnlySpan<byte> Get(long position, int count)
    {
        count = (int)Math.Max(0, Math.Min(count, _end - position));
        if (position < _bufferStart || position + count > _bufferStart + _bufferLength)
        {
            if (count > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(count);
            }

            _bufferStart = position;
            _bufferLength = Fill(position, (int)Math.Min(_buffer.Length, _end - position));
        }

        var at = (int)(position - _bufferStart);
        return _buffer.AsSpan(at, Math.Min(count, _bufferLength - at));
    }

    private int Fill(long position, int length)
    {
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(_file, _buffer.AsSpan(read, length - read), position + read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }
}
