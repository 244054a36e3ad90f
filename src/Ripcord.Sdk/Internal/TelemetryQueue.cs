namespace Ripcord.Sdk.Internal;

/// <summary>
/// A bounded queue of telemetry events. Enqueue never blocks the caller: when full, the
/// oldest event is dropped and counted. One short lock, no allocation beyond the event.
/// </summary>
internal sealed class TelemetryQueue(int capacity)
{
    private readonly Queue<Dictionary<string, object?>> _items = new();
    private readonly Lock _gate = new();
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
                return _items.Count;
            }
        }
    }

    public void Enqueue(Dictionary<string, object?> item)
    {
        lock (_gate)
        {
            if (_items.Count >= capacity)
            {
                _items.Dequeue();
                _dropped++;
            }
            _items.Enqueue(item);
            _queued++;
        }
    }

    public List<Dictionary<string, object?>> Take(int max)
    {
        lock (_gate)
        {
            var batch = new List<Dictionary<string, object?>>(Math.Min(max, _items.Count));
            while (batch.Count < max && _items.Count > 0)
            {
                batch.Add(_items.Dequeue());
            }
            return batch;
        }
    }

    /// <summary>Puts an undelivered batch back at the front, as far as capacity allows; the rest is dropped and counted.</summary>
    public void Requeue(List<Dictionary<string, object?>> batch)
    {
        lock (_gate)
        {
            var rest = _items.ToList();
            _items.Clear();
            foreach (var item in batch.Concat(rest))
            {
                if (_items.Count < capacity)
                {
                    _items.Enqueue(item);
                }
                else
                {
                    _dropped++;
                }
            }
        }
    }

    public long TakeDroppedSinceLastReport(ref long reported)
    {
        var now = Dropped;
        var delta = now - reported;
        reported = now;
        return delta;
    }
}
