namespace Ripcord.Cli.Rendering;

/// <summary>How a cell should stand out at a terminal; redirected output ignores it.</summary>
public enum Tone
{
    Normal,
    Dim,
    Good,
    Bad,
    Warning,
    Strong,
}

/// <summary>
/// One table cell: text (never markup, so a server value like <c>[x]</c> prints as itself) and a tone.
/// </summary>
public readonly record struct Cell(string Text, Tone Tone = Tone.Normal)
{
    public static implicit operator Cell(string? text) => new(text ?? "");

    /// <summary>A flag value as operators say it, green when on.</summary>
    public static Cell OnOff(bool value) => value ? new("on", Tone.Good) : new("off", Tone.Dim);
}

/// <summary>
/// A table as data: headers and rows of cells. <see cref="Terminal.Table"/> draws it with borders and
/// colour at a terminal and as aligned plain columns (header line first) when redirected.
/// </summary>
public sealed class TableView(params string[] headers)
{
    private readonly List<Cell[]> _rows = [];

    public IReadOnlyList<string> Headers { get; } = headers;

    public IReadOnlyList<IReadOnlyList<Cell>> Rows => _rows;

    public TableView Row(params Cell[] cells)
    {
        if (cells.Length != Headers.Count)
        {
            throw new ArgumentException($"a row of this table has {Headers.Count} cells, not {cells.Length}", nameof(cells));
        }
        _rows.Add(cells);
        return this;
    }

    public TableView AddRows<T>(IEnumerable<T> items, Func<T, Cell[]> row)
    {
        foreach (var item in items)
        {
            Row(row(item));
        }
        return this;
    }
}
