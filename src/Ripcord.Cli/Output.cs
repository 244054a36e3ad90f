using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ripcord.Cli;

/// <summary>Human tables by default, the server's JSON with --json.</summary>
public static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Json(JsonNode? node) => Console.WriteLine(node?.ToJsonString(Indented) ?? "null");

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var data = rows.Select(r => r.Select(c => c ?? "").ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, data.Count == 0 ? 0 : data.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Row(IReadOnlyList<string> cells)
        {
            for (var i = 0; i < cells.Count; i++)
            {
                sb.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }
            sb.AppendLine();
        }
        Row(headers);
        Row(widths.Select(w => new string('-', w)).ToArray());
        foreach (var r in data)
        {
            Row(r);
        }
        if (data.Count == 0)
        {
            sb.AppendLine("(none)");
        }
        Console.Write(sb.ToString());
    }

    public static string? S(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "on" : "off",
        JsonArray a => string.Join(",", a.Select(S)),
        _ => node.ToJsonString(),
    };
}
