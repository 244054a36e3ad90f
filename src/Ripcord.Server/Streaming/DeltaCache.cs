namespace Ripcord.Server.Streaming;

/// <summary>
/// The last few revisions' stream frames of one program, so a reconnecting SDK gets only what
/// it missed (deltas) instead of a full snapshot. Not thread-safe: its owner holds a lock.
/// </summary>
public sealed class DeltaCache(int capacity)
{
    private readonly SortedDictionary<long, byte[]> _frames = [];

    public int Count => _frames.Count;

    /// <summary>Stores the delta frame that leads to <paramref name="toRevision"/>; evicts the oldest beyond capacity.</summary>
    public void Add(long toRevision, byte[] frame)
    {
        _frames[toRevision] = frame;
        while (_frames.Count > capacity)
        {
            _frames.Remove(_frames.Keys.First());
        }
    }

    /// <summary>
    /// The deltas from <paramref name="fromRevision"/> up to <paramref name="head"/>, or null when any
    /// is missing (evicted, or the revisions were not consecutive): the caller then sends a snapshot.
    /// </summary>
    public IReadOnlyList<byte[]>? Since(long fromRevision, long head)
    {
        if (fromRevision >= head)
        {
            return [];
        }
        var frames = new List<byte[]>((int)Math.Min(head - fromRevision, capacity));
        for (var r = fromRevision + 1; r <= head; r++)
        {
            if (!_frames.TryGetValue(r, out var frame))
            {
                return null;
            }
            frames.Add(frame);
        }
        return frames;
    }
}
