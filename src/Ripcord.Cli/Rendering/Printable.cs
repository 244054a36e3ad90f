using System.Globalization;
using System.Text;

namespace Ripcord.Cli.Rendering;

/// <summary>
/// Text from the server as it may be shown at a terminal: every character that would not show as
/// itself — a control character (an ESC starting a terminal escape sequence, a NUL, a carriage
/// return that overwrites the line), an invisible format character (a bidirectional override), a
/// broken surrogate — is written as an escape (<c>\x1b</c>, <c>\u202e</c>), so what an operator
/// reads is what is stored. This is not markup escaping: Spectre's markup is never used for server text.
/// </summary>
public static class Printable
{
    /// <summary>Escapes what would not print; <paramref name="keepNewlines"/> lets a multi-line message keep its lines.</summary>
    public static string Escape(string? text, bool keepNewlines = false)
    {
        if (string.IsNullOrEmpty(text) || IsClean(text, keepNewlines))
        {
            return text ?? "";
        }
        var builder = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (Shows(c, keepNewlines))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append(c <= 0xFF ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
            }
        }
        return builder.ToString();
    }

    private static bool IsClean(string text, bool keepNewlines)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (!Shows(c, keepNewlines))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Shows(char c, bool keepNewlines) => (keepNewlines && c == '\n') || CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
        _ => true,
    };
}
