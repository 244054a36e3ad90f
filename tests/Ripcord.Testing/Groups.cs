using System.Text.Json;

namespace Ripcord.Testing;

/// <summary>The built-in <c>groups</c> program's flags (SPEC §2) and their safe values.</summary>
public static class Groups
{
    public const string F1 = "groups.routes.enabled";
    public const string F2 = "groups.transport.baseline.enabled";
    public const string F3 = "groups.transport.securePilot.enabled";
    public const string F4 = "groups.policy.strictTierEnforcement";
    public const string F5 = "groups.emergency.disableAll";
    public const string Create = "groups.create.enabled";
    public const string Send = "groups.send.enabled";
    public const string Readonly = "groups.state.readonly";

    public static readonly IReadOnlyDictionary<string, bool> Safe = new Dictionary<string, bool>(StringComparer.Ordinal)
    {
        [F1] = false, [F2] = false, [F3] = false, [F4] = true, [F5] = true, [Create] = false, [Send] = false, [Readonly] = true,
    };

    /// <summary>Flags that turn something on for users: routes, transports and actions.</summary>
    public static readonly IReadOnlyList<string> TransportAndActionFlags = [F1, F2, F3, Create, Send];
}

public sealed record FlagValue(bool Value, string Reason, string Scope, string Source);

/// <summary>One response of POST …/evaluate.</summary>
public sealed record Evaluated(long Revision, string Stage, IReadOnlyDictionary<string, FlagValue> Flags)
{
    public FlagValue this[string key] => Flags.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"no flag {key} in the evaluation");

    public static Evaluated From(JsonElement body)
    {
        var flags = new Dictionary<string, FlagValue>(StringComparer.Ordinal);
        foreach (var flag in body.GetProperty("flags").EnumerateObject())
        {
            var v = flag.Value;
            flags[flag.Name] = new FlagValue(v.GetProperty("value").GetBoolean(), v.GetProperty("reason").GetString()!,
                v.GetProperty("scope").GetString()!, v.GetProperty("source").GetString()!);
        }
        return new Evaluated(body.GetProperty("revision").GetInt64(), body.GetProperty("stage").GetString()!, flags);
    }

    public override string ToString() =>
        $"rev {Revision} stage {Stage}: " + string.Join("; ", Flags.Select(kv => $"{kv.Key}={kv.Value.Value} ({kv.Value.Reason} {kv.Value.Scope} {kv.Value.Source})"));
}
