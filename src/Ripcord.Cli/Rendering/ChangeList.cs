using Ripcord.Core.Changes;

namespace Ripcord.Cli.Rendering;

/// <summary>Changes between two states as lines: <c>+</c> added, <c>-</c> removed, <c>~</c> changed; ones that lose something live marked <c>!</c>.</summary>
public static class ChangeList
{
    public static void Write(Terminal terminal, IReadOnlyList<StateChange> changes, string none = "No changes.")
    {
        if (changes.Count == 0)
        {
            terminal.Line(none);
            return;
        }
        foreach (var change in changes)
        {
            var mark = change.Kind switch { DiffKind.Added => "+", DiffKind.Removed => "-", _ => "~" };
            var line = $"  {(change.Warning ? "!" : " ")}{mark} {change.Words}";
            terminal.Write(terminal.Text(line + Environment.NewLine, change.Warning ? Tone.Warning : Tone.Normal));
        }
    }
}
