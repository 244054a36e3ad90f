using System.Text;

namespace Ripcord.Cli.Rendering;

/// <summary>
/// Drops the blanks at the end of each line. Spectre pads every cell to its column's width,
/// including the last one; in redirected output those trailing blanks are noise for
/// <c>grep</c>, <c>diff</c> and tests that compare lines.
/// </summary>
internal sealed class TrailingBlankTrimmer(TextWriter inner) : TextWriter
{
    private int _pendingBlanks;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        switch (value)
        {
            case ' ':
                _pendingBlanks++;
                return;
            case '\n' or '\r':
                _pendingBlanks = 0;
                break;
            default:
                FlushBlanks();
                break;
        }
        inner.Write(value);
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "")
        {
            Write(c);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        for (var i = index; i < index + count; i++)
        {
            Write(buffer[i]);
        }
    }

    // Blanks still pending at a flush are held back: the line may yet end, which drops them.
    public override void Flush() => inner.Flush();

    private void FlushBlanks()
    {
        if (_pendingBlanks > 0)
        {
            inner.Write(new string(' ', _pendingBlanks));
            _pendingBlanks = 0;
        }
    }
}
