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

    /// <summary>Parses a scope given as input: its id must be an <see cref="Identifier"/>.</summary>
    public static bool TryParse(string? text, out Scope scope, out string? error) => TryParse(text, strict: true, out scope, out error);

    /// <summary>
    /// Parses a scope already stored or streamed, by the rule it was written under (an id without
    /// whitespace): a revision written before <see cref="Identifier"/> existed must still load.
    /// </summary>
    public static bool TryRead(string? text, out Scope scope, out string? error) => TryParse(text, strict: false, out scope, out error);

    private static bool TryParse(string? text, bool strict, out Scope scope, out string? error)
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
        if (parsed is null || (strict ? !Identifier.IsValid(id) : id.Length == 0 || id.Length > Identifier.MaxLength || id.Any(char.IsWhiteSpace)))
        {
            error = parsed is null || id.Length == 0
                ? $"'{text}' is not a scope: use global, workspace:ID, cohort:ID or user:ID"
                : $"'{kind}:…' is not a scope: its id must be {Identifier.Rule}";
            return false;
        }
        scope = new Scope(parsed.Value, id);
        return true;
    }

    /// <summary>A scope already stored (see <see cref="TryRead"/>).</summary>
    public static Scope Parse(string text) =>
        TryRead(text, out var scope, out var error) ? scope : throw new FormatException(error);

    public override string ToString() => Kind switch
    {
        ScopeKind.Global => "global",
        ScopeKind.Workspace => "workspace:" + Id,
        ScopeKind.Cohort => "cohort:" + Id,
        _ => "user:" + Id,
    };
}
