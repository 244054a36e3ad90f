using System.Globalization;

namespace Ripcord.Cli.Rendering;

/// <summary>How values read in human output, in one place so every verb says them alike.</summary>
public static class Words
{
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    public static string Number(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static string OnOff(bool value) => value ? "on" : "off";

    public static string YesNo(bool value) => value ? "yes" : "no";

    public static string List(IEnumerable<string> values) => string.Join(',', values);

    /// <summary>Times in this machine's zone (<c>--local-time</c>) instead of UTC. Set once per command line; JSON is always UTC.</summary>
    public static bool LocalTime { get; set; }

    /// <summary>UTC to the second: short, sortable and the same on every operator's machine (or local, with its offset).</summary>
    public static string Time(DateTimeOffset at) => LocalTime
        ? at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)
        : at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? at) => at is { } value ? Time(value) : "";
}
