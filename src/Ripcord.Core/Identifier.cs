using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Ripcord.Core;

/// <summary>
/// The one rule for an identifier someone chooses — a workspace, user or cohort id in a scope or a
/// cohort's members, a grant's workspace and action, a token's name: not empty, bounded, and
/// printable — no control characters (a NUL, a terminal escape sequence), no invisible format
/// characters (bidirectional overrides, zero-width joiners) and no broken UTF-16. Ids are echoed by
/// the CLI, the dashboard and logs; what they hold must be what a person sees.
/// </summary>
public static class Identifier
{
    public const int MaxLength = 256;

    /// <summary>Words for an error message: what an id may be.</summary>
    public const string Rule = "non-empty, at most 256 characters, without spaces, control characters or invisible formatting";

    /// <summary>An id: non-empty, at most <paramref name="maxLength"/> characters, no whitespace, printable.</summary>
    public static bool IsValid([NotNullWhen(true)] string? id, int maxLength = MaxLength) =>
        id is { Length: > 0 } && id.Length <= maxLength && !id.Any(char.IsWhiteSpace) && IsPrintable(id);

    /// <summary>A name (may hold spaces): every character printable, no line breaks.</summary>
    public static bool IsPrintable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (!IsPrintable(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether one UTF-16 unit (not part of a surrogate pair) shows as itself.</summary>
    public static bool IsPrintable(char c) => CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
        _ => true,
    };
}
