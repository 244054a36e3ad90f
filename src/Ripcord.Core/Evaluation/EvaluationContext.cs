using System.Collections;
using System.Globalization;

namespace Ripcord.Core.Evaluation;

/// <summary>
/// Who is asking: workspace, user, mission tier and free attributes (app version,
/// platform, workspace type…). Immutable; build once per request or session and reuse.
/// </summary>
public sealed class EvaluationContext
{
    public EvaluationContext(string? workspaceId = null, string? userId = null, int? tier = null,
        IReadOnlyDictionary<string, AttributeValue>? attributes = null)
    {
        WorkspaceId = string.IsNullOrEmpty(workspaceId) ? null : workspaceId;
        UserId = string.IsNullOrEmpty(userId) ? null : userId;
        Tier = tier;
        Attributes = attributes is null || attributes.Count == 0 ? AttributeMap.Empty : new AttributeMap(attributes);
    }

    public string? WorkspaceId { get; }
    public string? UserId { get; }
    /// <summary>Mission tier 0, 1 or 2; null when unknown.</summary>
    public int? Tier { get; }
    /// <summary>A copy of the attributes given, compared ordinally (so later changes to the caller's dictionary do not leak in).</summary>
    public IReadOnlyDictionary<string, AttributeValue> Attributes { get; }

    public static EvaluationContext Empty { get; } = new();
}

/// <summary>
/// Context attributes as two parallel arrays: a context is built per request and holds a handful
/// of attributes, so a copy plus an ordinal linear scan beats building a hash table (a frozen
/// dictionary cost more to build than an evaluation). Larger sets get a dictionary.
/// </summary>
internal sealed class AttributeMap : IReadOnlyDictionary<string, AttributeValue>
{
    private const int ScanLimit = 8;

    public static readonly AttributeMap Empty = new(new Dictionary<string, AttributeValue>());

    private readonly string[] _keys;
    private readonly AttributeValue[] _values;
    private readonly Dictionary<string, int>? _index;

    public AttributeMap(IReadOnlyDictionary<string, AttributeValue> source)
    {
        _keys = new string[source.Count];
        _values = new AttributeValue[source.Count];
        var i = 0;
        foreach (var (key, value) in source)
        {
            _keys[i] = key;
            _values[i] = value;
            i++;
        }
        if (_keys.Length > ScanLimit)
        {
            _index = new Dictionary<string, int>(_keys.Length, StringComparer.Ordinal);
            for (var k = 0; k < _keys.Length; k++)
            {
                _index[_keys[k]] = k;
            }
        }
    }

    public int Count => _keys.Length;

    public AttributeValue this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => _keys;

    public IEnumerable<AttributeValue> Values => _values;

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, out AttributeValue value)
    {
        if (_index is not null)
        {
            if (_index.TryGetValue(key, out var at))
            {
                value = _values[at];
                return true;
            }
        }
        else
        {
            for (var k = 0; k < _keys.Length; k++)
            {
                if (string.Equals(_keys[k], key, StringComparison.Ordinal))
                {
                    value = _values[k];
                    return true;
                }
            }
        }
        value = default;
        return false;
    }

    public IEnumerator<KeyValuePair<string, AttributeValue>> GetEnumerator()
    {
        for (var k = 0; k < _keys.Length; k++)
        {
            yield return new KeyValuePair<string, AttributeValue>(_keys[k], _values[k]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
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
