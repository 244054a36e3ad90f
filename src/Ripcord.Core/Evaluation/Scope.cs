namespace Ripcord.Core.Evaluation;

public enum ScopeKind
{
    Global,
    Workspace,
    Cohort,
    User,
}

/// <summary>Where an override or kill switch applies: <c>global</c>, <c>workspace:ID</c>, <c>cohort:ID</c>, <c>user:ID</c>.</summary>
public readonly record struct Scope(ScopeKind Kind, string? Id)
{
    public static Scope Global { get; } = new(ScopeKind.Global, null);

    public static bool TryParse(string? text, out Scope scope, out string? error)
    {
        scope = Global;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "scope is required: global, workspace:ID, cohort:ID or user:ID";
            return false;
        }
        if (string.Equals(text, "global", StringComparison.Ordinal))
        {
            return true;
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? "" : text[..colon];
        var id = colon < 0 ? "" : text[(colon + 1)..];
        ScopeKind? parsed = kind switch
        {
            "workspace" => ScopeKind.Workspace,
            "cohort" => ScopeKind.Cohort,
            "user" => ScopeKind.User,
            _ => null,
        };
        if (parsed is null || id.Length == 0 || id.Length > 256 || id.Any(char.IsWhiteSpace))
        {
            error = $"'{text}' is not a scope: use global, workspace:ID, cohort:ID or user:ID";
            return false;
        }
        scope = new Scope(parsed.Value, id);
        return true;
    }

    public static Scope Parse(string text) =>
        TryParse(text, out var scope, out var error) ? scope : throw new FormatException(error);

    public override string ToString() => Kind switch
    {
        ScopeKind.Global => "global",
        ScopeKind.Workspace => "workspace:" + Id,
        ScopeKind.Cohort => "cohort:" + Id,
        _ => "user:" + Id,
    };
}
