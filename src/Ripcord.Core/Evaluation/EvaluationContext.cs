using System.Collections.Frozen;
using System.Globalization;

namespace Ripcord.Core.Evaluation;

/// <summary>
/// Who is asking: workspace, user, mission tier and free attributes (app version,
/// platform, workspace type…). Immutable; build once per request or session and reuse.
/// </summary>
public sealed class EvaluationContext
{
    private static readonly FrozenDictionary<string, AttributeValue> NoAttributes =
        FrozenDictionary<string, AttributeValue>.Empty;

    public EvaluationContext(string? workspaceId = null, string? userId = null, int? tier = null,
        IReadOnlyDictionary<string, AttributeValue>? attributes = null)
    {
        WorkspaceId = string.IsNullOrEmpty(workspaceId) ? null : workspaceId;
        UserId = string.IsNullOrEmpty(userId) ? null : userId;
        Tier = tier;
        Attributes = attributes is null || attributes.Count == 0
            ? NoAttributes
            : attributes.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public string? WorkspaceId { get; }
    public string? UserId { get; }
    /// <summary>Mission tier 0, 1 or 2; null when unknown.</summary>
    public int? Tier { get; }
    public FrozenDictionary<string, AttributeValue> Attributes { get; }

    public static EvaluationContext Empty { get; } = new();
}

/// <summary>A context attribute: a string, a number or a boolean.</summary>
public readonly record struct AttributeValue
{
    private AttributeValue(AttributeKind kind, string? text, double number)
    {
        Kind = kind;
        Text = text;
        Number = number;
    }

    public AttributeKind Kind { get; }
    public string? Text { get; }
    public double Number { get; }

    public static AttributeValue Of(string value) => new(AttributeKind.String, value, 0);
    public static AttributeValue Of(double value) => new(AttributeKind.Number, null, value);
    public static AttributeValue Of(bool value) => new(AttributeKind.Boolean, null, value ? 1 : 0);

    public bool AsBoolean => Number != 0;

    public static implicit operator AttributeValue(string value) => Of(value);
    public static implicit operator AttributeValue(double value) => Of(value);
    public static implicit operator AttributeValue(bool value) => Of(value);

    public override string ToString() => Kind switch
    {
        AttributeKind.String => Text!,
        AttributeKind.Number => Number.ToString(CultureInfo.InvariantCulture),
        _ => AsBoolean ? "true" : "false",
    };
}

public enum AttributeKind
{
    String,
    Number,
    Boolean,
}
