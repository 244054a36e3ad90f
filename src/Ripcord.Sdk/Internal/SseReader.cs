using System.Text;

namespace Ripcord.Sdk.Internal;

/// <summary>One server-sent event.</summary>
internal readonly record struct SseEvent(string? Id, string Event, string Data);

/// <summary>Reads server-sent events (the WHATWG event-stream format) from a response body.</summary>
internal sealed class SseReader(Stream stream)
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8, false, 16 * 1024);

    /// <summary>The next event, or null at the end of the stream. Comments (heartbeats) are skipped.</summary>
    public async Task<SseEvent?> ReadAsync(CancellationToken ct)
    {
        string? id = null;
        var type = "message";
        StringBuilder? data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(ct);
            if (line is null)
            {
                return null;
            }
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    return new SseEvent(id, type, data.ToString());
                }
                id = null;
                type = "message";
                continue;
            }
            if (line[0] == ':')
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    (data ??= new StringBuilder()).Append(data.Length > 0 ? "\n" : "").Append(value);
                    break;
            }
        }
    }
}
