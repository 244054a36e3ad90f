namespace Ripcord.Server.Tests.Authorization;

/// <summary>One row of the role table in docs/roles.md: an endpoint (maybe a variant of one) and who may call it.</summary>
public sealed record RoleRow(string Method, string Path, string? Variant, IReadOnlyDictionary<string, bool> Allowed)
{
    /// <summary>"METHOD path" or "METHOD path (variant)": how tests name the row.</summary>
    public string Key => Variant is null ? $"{Method} {Path}" : $"{Method} {Path} ({Variant})";

    public string Endpoint => $"{Method} {Path}";
}

/// <summary>Reads the role matrix from docs/roles.md, the table people read.</summary>
public static class RolesDocument
{
    public static readonly string[] Roles = ["viewer", "support", "operator", "ops-lead", "release-manager", "security-lead", "admin", "sdk"];

    public static string FindPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "roles.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("docs/roles.md was not found next to the tests or in any parent directory");
    }

    private static readonly Lazy<IReadOnlyList<RoleRow>> Parsed = new(() => Parse(File.ReadAllLines(FindPath())));

    public static IReadOnlyList<RoleRow> Rows => Parsed.Value;

    public static IReadOnlyList<RoleRow> Parse(IReadOnlyList<string> lines)
    {
        var header = -1;
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].TrimStart().StartsWith("| Endpoint |", StringComparison.Ordinal))
            {
                header = i;
                break;
            }
        }
        if (header < 0)
        {
            throw new FormatException("docs/roles.md has no table whose first column is 'Endpoint'");
        }
        var columns = Cells(lines[header]);
        var expected = new[] { "Endpoint" }.Concat(Roles).ToArray();
        if (!columns.SequenceEqual(expected))
        {
            throw new FormatException($"the role table's columns must be: {string.Join(" | ", expected)}; found: {string.Join(" | ", columns)}");
        }
        var rows = new List<RoleRow>();
        for (var i = header + 2; i < lines.Count && lines[i].TrimStart().StartsWith('|'); i++)
        {
            var cells = Cells(lines[i]);
            if (cells.Count != columns.Count)
            {
                throw new FormatException($"docs/roles.md line {i + 1}: {cells.Count} cells, expected {columns.Count}");
            }
            var endpoint = cells[0].Replace("`", "", StringComparison.Ordinal).Trim();
            string? variant = null;
            var paren = endpoint.IndexOf(" (", StringComparison.Ordinal);
            if (paren > 0 && endpoint.EndsWith(')'))
            {
                variant = endpoint[(paren + 2)..^1];
                endpoint = endpoint[..paren];
            }
            var space = endpoint.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0)
            {
                throw new FormatException($"docs/roles.md line {i + 1}: the endpoint must read 'METHOD /path', not '{cells[0]}'");
            }
            var allowed = new Dictionary<string, bool>(StringComparer.Ordinal);
            for (var c = 1; c < cells.Count; c++)
            {
                allowed[columns[c]] = cells[c] switch
                {
                    "✓" => true,
                    "—" => false,
                    _ => throw new FormatException($"docs/roles.md line {i + 1}: cell '{cells[c]}' for {columns[c]} must be ✓ or —"),
                };
            }
            rows.Add(new RoleRow(endpoint[..space], endpoint[(space + 1)..].Trim(), variant, allowed));
        }
        if (rows.Count == 0)
        {
            throw new FormatException("the role table in docs/roles.md has no rows");
        }
        var duplicate = rows.GroupBy(r => r.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new FormatException($"docs/roles.md lists {duplicate.Key} twice");
        }
        return rows;
    }

    private static List<string> Cells(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.StartsWith('|'))
        {
            trimmed = trimmed[1..];
        }
        if (trimmed.EndsWith('|'))
        {
            trimmed = trimmed[..^1];
        }
        return [.. trimmed.Split('|').Select(c => c.Trim())];
    }
}
