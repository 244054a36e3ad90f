using System.Text.Json;
using Ripcord.Core.Evaluation;

namespace Ripcord.Server.Evaluation;

/// <summary>
/// What an evaluation context may hold, for every way one arrives (POST …/evaluate and OFREP): ids
/// are bounded strings, the tier is 0, 1 or 2 (or unknown), attributes are at most 64 scalars. Each
/// check answers null or what is wrong, in words the caller can act on.
/// </summary>
public static class ContextRules
{
    public const int MaxIdLength = 256;
    public const int MaxAttributes = 64;

    public static string? CheckId(string? id, string field) =>
        id is { Length: > MaxIdLength } ? $"{field} is at most {MaxIdLength} characters" : null;

    public static string? CheckTier(int? tier) =>
        tier is < 0 or > 2 ? "tier must be 0, 1 or 2 (or absent when unknown)" : null;

    /// <summary>A tier written as a JSON number: 0, 1 or 2 (null when absent or null).</summary>
    public static bool TryTier(JsonElement value, out int? tier)
    {
        tier = null;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var t) && t is 0 or 1 or 2)
        {
            tier = (int)t;
            return true;
        }
        return false;
    }

    /// <summary>A free attribute: a string, a finite number or a boolean; anything else is not one.</summary>
    public static AttributeValue? Attribute(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => (AttributeValue?)AttributeValue.Of(value.GetString()!),
        JsonValueKind.Number when value.TryGetDouble(out var n) && double.IsFinite(n) => AttributeValue.Of(n),
        JsonValueKind.True => AttributeValue.Of(true),
        JsonValueKind.False => AttributeValue.Of(false),
        _ => null,
    };

    public static string TooManyAttributes => $"at most {MaxAttributes} attributes";
}
