using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.CompilerServices;
using Fluid;
using Fluid.Values;
using Ripcord.Core.Definitions;

namespace Ripcord.Core.Announcements;

/// <summary>The audiences of SPEC §8's templates.</summary>
public static class AnnouncementAudiences
{
    public const string Internal = "internal";
    public const string Operator = "operator";
    public const string User = "user";
    public const string PostIncident = "post-incident";

    public static IReadOnlyList<string> All { get; } = [Internal, Operator, User, PostIncident];
}

/// <summary>A rendered announcement, or why there is none. <see cref="Locale"/> is the locale actually used.</summary>
public sealed record AnnouncementResult(string? Text, string? Locale, string? Error)
{
    public bool IsSuccess => Text is not null;
}

/// <summary>
/// Renders a definition's Liquid templates (Fluid) against an <see cref="AnnouncementModel"/>.
/// Templates are parsed once per definition and kept while the definition lives.
/// </summary>
public static class AnnouncementTemplates
{
    public const string FallbackLocale = "en";

    /// <summary>The variables a template may read: root → its members (none for a plain value).</summary>
    public static FrozenDictionary<string, FrozenSet<string>> Variables { get; } = new Dictionary<string, FrozenSet<string>>(StringComparer.Ordinal)
    {
        ["program"] = FrozenSet<string>.Empty,
        ["revision"] = FrozenSet<string>.Empty,
        ["incident"] = FrozenSet.Create(StringComparer.Ordinal, "id", "class", "severity", "trigger", "summary", "status", "declaredAt", "affected"),
        ["killSwitch"] = FrozenSet.Create(StringComparer.Ordinal, "level", "meaning", "scope", "activatedAt", "reason"),
        ["verification"] = FrozenSet.Create(StringComparer.Ordinal, "status", "applied", "total", "timeToMitigate"),
        ["now"] = FrozenSet<string>.Empty,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly ConditionalWeakTable<ProgramDefinition, Dictionary<(string, string), IFluidTemplate?>> Parsed = new();

    private static readonly TemplateOptions Options = new TemplateOptionsBuilder().Build();

    /// <summary>Syntax errors and unknown variables in one template's text, each with its line in that text.</summary>
    public static IReadOnlyList<TemplateProblem> Check(string text) => TemplateCheck.Check(text);

    /// <summary>
    /// The <paramref name="audience"/> template in <paramref name="locale"/> (else English) rendered
    /// with <paramref name="model"/>; an error result when the audience has neither.
    /// </summary>
    public static AnnouncementResult Render(ProgramDefinition definition, string audience, string locale, AnnouncementModel model)
    {
        if (!definition.Templates.TryGetValue(audience, out var locales))
        {
            return new AnnouncementResult(null, null, $"program {definition.Key} has no '{audience}' template");
        }
        var used = locales.ContainsKey(locale) ? locale : FallbackLocale;
        if (!locales.ContainsKey(used))
        {
            return new AnnouncementResult(null, null, $"program {definition.Key} has no '{audience}' template in {locale} or {FallbackLocale}");
        }
        var template = Template(definition, audience, used);
        if (template is null)
        {
            // Only a definition that skipped validation gets here.
            return new AnnouncementResult(null, used, $"the '{audience}' template in {used} does not parse");
        }
        var context = new TemplateContext(Options)
        {
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
        };
        foreach (var (name, value) in Values(model))
        {
            context.SetValue(name, FluidValue.Create(value, Options));
        }
        return new AnnouncementResult(template.Render(context), used, null);
    }

    private static IFluidTemplate? Template(ProgramDefinition definition, string audience, string locale)
    {
        var cache = Parsed.GetValue(definition, static _ => []);
        lock (cache)
        {
            if (!cache.TryGetValue((audience, locale), out var template))
            {
                template = TemplateCheck.Parse(definition.Templates[audience][locale], out _);
                cache[(audience, locale)] = template;
            }
            return template;
        }
    }

    /// <summary>The model as Liquid sees it: the names of <see cref="Variables"/>, nested values as dictionaries.</summary>
    private static IEnumerable<(string Name, object? Value)> Values(AnnouncementModel m)
    {
        yield return ("program", m.Program);
        yield return ("revision", m.Revision);
        yield return ("now", m.Now);
        yield return ("incident", m.Incident is not { } i ? null : new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = i.Id, ["class"] = i.Class, ["severity"] = i.Severity, ["trigger"] = i.Trigger, ["summary"] = i.Summary,
            ["status"] = i.Status, ["declaredAt"] = i.DeclaredAt, ["affected"] = i.Affected.ToArray(),
        });
        yield return ("killSwitch", m.KillSwitch is not { } k ? null : new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["level"] = k.Level, ["meaning"] = k.Meaning, ["scope"] = k.Scope, ["activatedAt"] = k.ActivatedAt, ["reason"] = k.Reason,
        });
        yield return ("verification", m.Verification is not { } v ? null : new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["status"] = v.Status, ["applied"] = v.Applied, ["total"] = v.Total,
            ["timeToMitigate"] = v.TimeToMitigate is { } t ? Duration(t) : null,
        });
    }

    /// <summary>A time to mitigate as people read it: seconds with a tenth under a minute (a kill switch verified in 1.9 s), else h:mm:ss.</summary>
    public static string Duration(TimeSpan t) => t < TimeSpan.FromMinutes(1)
        ? Math.Max(0, t.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
}
