using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ripcord.Server.Webhooks;

/// <summary>
/// The <c>Ripcord-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256&gt;</c> of
/// <c>"&lt;t&gt;.&lt;body&gt;"</c> keyed with the webhook's secret (its UTF-8 bytes), as GitHub and
/// Stripe sign theirs. The timestamp lets a receiver refuse replays; docs/webhooks.md shows the check.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Ripcord-Signature";

    public static string Sign(string secret, long timestamp, string body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>What a receiver does: the v1 signature matches (compared in constant time) and t is within <paramref name="tolerance"/> of now.</summary>
    public static bool Verify(string secret, string? header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (header is null)
        {
            return false;
        }
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)
            || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            || (now - DateTimeOffset.FromUnixTimeSeconds(timestamp)).Duration() > tolerance)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)[(t.Length + 6)..]);
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(v1));
    }
}
