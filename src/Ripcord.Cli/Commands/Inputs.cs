using System.Globalization;
using System.Text.Json;

namespace Ripcord.Cli.Commands;

/// <summary>Reads operator input the way people type it: on/off, 24h, comma lists, name=value.</summary>
public static class Inputs
{
    public static bool OnOff(string text, string option) => text.ToLowerInvariant() switch
    {
        "on" or "true" or "1" or "yes" => true,
        "off" or "false" or "0" or "no" => false,
        _ => throw new CliException($"{option} takes on or off, not '{text}'"),
    };

    /// <summary>A duration from now (30m, 24h, 3d) or an absolute ISO-8601 time.</summary>
    public static DateTimeOffset Expiry(string text, DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            switch (text[^1])
            {
                case 'm':
                    return at.AddMinutes(amount);
                case 'h':
                    return at.AddHours(amount);
                case 'd':
                    return at.AddDays(amount);
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var absolute)
            ? absolute
            : throw new CliException($"--expires takes a duration like 30m, 24h, 3d or an ISO-8601 time, not '{text}'");
    }

    /// <summary>A lifetime in whole minutes: 30m, 2h, or a bare number of minutes.</summary>
    public static int Minutes(string text, string option)
    {
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? text[^1] : 'm';
        var number = char.IsLetter(unit) && text.Length > 0 && char.IsLetter(text[^1]) ? text[..^1] : text;
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            var minutes = unit switch { 'm' => amount, 'h' => amount * 60, _ => double.NaN };
            if (minutes is >= 1 and <= int.MaxValue && minutes == Math.Floor(minutes))
            {
                return (int)minutes;
            }
        }
        throw new CliException($"{option} takes whole minutes like 30m or 2h, not '{text}'");
    }

    /// <summary>"a,b c" given as one or several tokens → [a, b, c]; nothing given → null (the field is left out).</summary>
    public static string[]? List(string[]? values) =>
        values is null || values.Length == 0
            ? null
            : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

    /// <summary>name=value pairs; true/false and numbers are sent typed, anything else as a string.</summary>
    public static Dictionary<string, JsonElement> Attributes(IEnumerable<string> pairs)
    {
        var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException($"--attr takes name=value, not '{pair}'");
            }
            var raw = pair[(eq + 1)..];
            attributes[pair[..eq]] = raw is "true" or "false" ? JsonSerializer.SerializeToElement(raw == "true")
                : double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonSerializer.SerializeToElement(number)
                : JsonSerializer.SerializeToElement(raw);
        }
        return attributes;
    }

    /// <summary>A comma-separated list of scopes (<c>workspace:w1,cohort:pilot</c>); empty when not given.</summary>
    public static string[] Scopes(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A duration written 30m, 4h or 2d.</summary>
    public static TimeSpan Duration(string text, string option)
    {
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0
            && double.IsFinite(amount) && amount < 100_000)
        {
            switch (text[^1])
            {
                case 'm':
                    return TimeSpan.FromMinutes(amount);
                case 'h':
                    return TimeSpan.FromHours(amount);
                case 'd':
                    return TimeSpan.FromDays(amount);
            }
        }
        throw new CliException($"{option} takes a duration like 30m, 4h or 2d, not '{text}'");
    }

    /// <summary>A moment in the past: a duration back from now (30m, 4h, 2d) or an ISO-8601 time.</summary>
    public static DateTimeOffset Since(string text, string option, DateTimeOffset? now = null)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var absolute) && text.Contains('-'))
        {
            return absolute;
        }
        try
        {
            return (now ?? DateTimeOffset.UtcNow) - Duration(text, option);
        }
        catch (CliException)
        {
            throw new CliException($"{option} takes a duration back from now like 30m, 4h or 2d, or an ISO-8601 time, not '{text}'");
        }
    }
}
