using System.Globalization;

namespace Ripcord.Revisions;

/// <summary>Invariant-culture number formatting for the report.</summary>
public static class Units
{
    public static string F(double value, int decimals = 2) =>
        double.IsNaN(value) ? "-" : value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Megabytes of 1,000,000 bytes.</summary>
    public static string Mb(long bytes) => F(bytes / 1_000_000.0, bytes < 10_000_000 ? 2 : 1);
}
