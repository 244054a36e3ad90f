using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ripcord.Core.Definitions;

namespace Ripcord.Core.Fallback;

/// <summary>
/// User-facing fallback copy: the built-in English catalog (messages.en.json, embedded),
/// overlaid per locale by the program definition's <c>messages</c>. Lookup order: the exact
/// locale, its language (pt-BR → pt), then English. Rendered texts are cached, so a decision
/// costs a dictionary lookup, not a format.
/// </summary>
public sealed partial class FallbackCatalog
{
    public const string CausePlaceholder = "{cause}";

    private static readonly Lazy<FrozenDictionary<string, string>> English = new(LoadEnglish);
    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _locales;
    private readonly ConcurrentDictionary<(string Locale, string Decision, string Cause), string> _rendered = new();

    public FallbackCatalog(IReadOnlyDictionary<string, System.Collections.Immutable.ImmutableSortedDictionary<string, string>>? locales = null)
    {
        _locales = (locales ?? new Dictionary<string, System.Collections.Immutable.ImmutableSortedDictionary<string, string>>())
            .ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenDictionary(StringComparer.Ordinal), StringComparer.OrdinalIgnoreCase);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ProgramDefinition, FallbackCatalog> ByDefinition = new();

    /// <summary>The catalog of a definition, built once per definition instance (a revision that leaves the definition alone reuses it).</summary>
    public static FallbackCatalog For(ProgramDefinition definition) =>
        ByDefinition.GetValue(definition, static d => new FallbackCatalog(d.Messages));

    public static FallbackCatalog Default { get; } = new();

    /// <summary>Every code the built-in catalog knows (docs/fallback.md lists them).</summary>
    public static IEnumerable<string> Codes => English.Value.Keys;

    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LocalePattern();

    [GeneratedRegex(@"\{[a-zA-Z]+\}")]
    private static partial Regex Placeholder();

    public static bool IsValidLocale(string locale) => LocalePattern().IsMatch(locale);

    /// <summary>Checks a translation: a known code, and only the placeholders its English text has.</summary>
    public static string? CheckPlaceholders(string code, string text)
    {
        if (!English.Value.TryGetValue(code, out var english))
        {
            return $"unknown message code '{code}'";
        }
        var expected = Placeholder().Matches(english).Select(m => m.Value).Order(StringComparer.Ordinal).ToList();
        var actual = Placeholder().Matches(text).Select(m => m.Value).Order(StringComparer.Ordinal).ToList();
        return expected.SequenceEqual(actual)
            ? null
            : $"placeholders must be [{string.Join(", ", expected)}], found [{string.Join(", ", actual)}]";
    }

    public string Text(string code, string? locale)
    {
        if (locale is not null)
        {
            if (_locales.TryGetValue(locale, out var exact) && exact.TryGetValue(code, out var text))
            {
                return text;
            }
            var dash = locale.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && _locales.TryGetValue(locale[..dash], out var language) && language.TryGetValue(code, out text))
            {
                return text;
            }
        }
        return English.Value.TryGetValue(code, out var en) ? en : code;
    }

    /// <summary>The decision's text with its cause filled in, in the locale asked for.</summary>
    public string Render(string decision, string cause, string? locale) =>
        _rendered.GetOrAdd((locale ?? "", decision, cause), key =>
        {
            var causeCode = "cause." + key.Cause;
            var causeText = English.Value.ContainsKey(causeCode) ? Text(causeCode, key.Locale) : Text("cause.unknown", key.Locale);
            return Text("decision." + key.Decision, key.Locale).Replace(CausePlaceholder, causeText, StringComparison.Ordinal);
        });

    private static FrozenDictionary<string, string> LoadEnglish()
    {
        using var stream = typeof(FallbackCatalog).Assembly.GetManifestResourceStream("Ripcord.Core.Fallback.messages.en.json")
            ?? throw new InvalidOperationException("messages.en.json is not embedded");
        return (JsonSerializer.Deserialize<Dictionary<string, string>>(stream) ?? []).ToFrozenDictionary(StringComparer.Ordinal);
    }
}
