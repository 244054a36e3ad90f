namespace Ripcord.Sdk.Internal;

/// <summary>
/// A bounded ring of telemetry events. Enqueue never blocks the caller: one short lock, a copy
/// of the struct into its slot, and when full the oldest event is overwritten and counted.
/// <para>The ring starts small and doubles up to the capacity instead of being preallocated:
/// 10,000 slots (the default) would be ~1 MB per client on the large object heap, for a queue
/// that the 5 s flush keeps nearly empty. Once grown it stays, so steady state allocates nothing.</para>
/// </summary>
internal sealed class TelemetryQueue(int capacity)
{
    private const int InitialSize = 64;

    private readonly Lock _gate = new();
    private TelemetryEvent[] _ring = new TelemetryEvent[Math.Min(capacity, InitialSize)];
    private int _head; // the oldest event
    private int _count;
    private long _dropped;
    private long _queued;

    public long Dropped => Interlocked.Read(ref _dropped);
    public long Queued => Interlocked.Read(ref _queued);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public void Enqueue(in TelemetryEvent item)
    {
        lock (_gate)
        {
            if (_count == capacity)
            {
                // Full means the ring has grown to capacity: the oldest slot takes the newest event.
                _ring[_head] = item;
                _head = (_head + 1) % _ring.Length;
                _dropped++;
            }
            else
            {
                if (_count == _ring.Length)
                {
                    Resize(Math.Min(capacity, _ring.Length * 2));
                }
                _ring[(_head + _count) % _ring.Length] = item;
                _count++;
            }
            _queued++;
        }
    }

    /// <summary>The oldest events, at most <paramref name="max"/>, removed from the queue.</summary>
    public List<TelemetryEvent> Take(int max)
    {
        lock (_gate)
        {
            var batch = new List<TelemetryEvent>(Math.Min(max, _count));
            while (batch.Count < max && _count > 0)
            {
                batch.Add(_ring[_head]);
                _ring[_head] = default; // let go of the strings it holds
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
            return batch;
        }
    }

    /// <summary>
    /// Puts an undelivered batch back in front of what was queued since. Its events are the oldest,
    /// so if the whole no longer fits, they are the ones dropped and counted.
    /// </summary>
    public void Requeue(List<TelemetryEvent> batch)
    {
        lock (_gate)
        {
            var total = batch.Count + _count;
            var skip = Math.Max(0, total - capacity);
            var next = new TelemetryEvent[Math.Max(_ring.Length, total - skip)];
            var n = 0;
            for (var i = skip; i < batch.Count; i++)
            {
                next[n++] = batch[i];
            }
            for (var i = Math.Max(0, skip - batch.Count); i < _count; i++)
            {
                next[n++] = _ring[(_head + i) % _ring.Length];
            }
            _ring = next;
            _head = 0;
            _count = n;
            _dropped += skip;
        }
    }

    public long TakeDroppedSinceLastReport(ref long reported)
    {
        var now = Dropped;
        var delta = now - reported;
        reported = now;
        return delta;
    }

    private void Resize(int size)
    {
        var next = new TelemetryEvent[size];
        for (var i = 0; i < _count; i++)
        {
            next[i] = _ring[(_head + i) % _ring.Length];
        }
        _ring = next;
        _head = 0;
    }
}
