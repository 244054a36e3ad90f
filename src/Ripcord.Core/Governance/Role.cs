using System.Diagnostics.CodeAnalysis;

namespace Ripcord.Core.Governance;

/// <summary>
/// A role of SPEC §9, or the <c>sdk</c> key role. Typed so that a misspelt role is a compile
/// error, not a silently empty permission; <see cref="Name"/> is what tokens and audit rows store.
/// </summary>
public readonly record struct Role
{
    private Role(string name) => Name = name;

    public string Name { get; }

    public static readonly Role Viewer = new("viewer");
    public static readonly Role Support = new("support");
    public static readonly Role Operator = new("operator");
    public static readonly Role OpsLead = new("ops-lead");
    public static readonly Role ReleaseManager = new("release-manager");
    public static readonly Role SecurityLead = new("security-lead");
    public static readonly Role Admin = new("admin");
    /// <summary>Server-side SDK keys: read configuration, send telemetry.</summary>
    public static readonly Role Sdk = new("sdk");
    /// <summary>The server's own actions (never a token's role).</summary>
    public static readonly Role System = new("system");

    /// <summary>Every role a token may have, people first.</summary>
    public static IReadOnlyList<Role> All { get; } = [Viewer, Support, Operator, OpsLead, ReleaseManager, SecurityLead, Admin, Sdk];

    /// <summary>The roles held by people (every token role but <c>sdk</c>).</summary>
    public static IReadOnlyList<Role> People { get; } = [Viewer, Support, Operator, OpsLead, ReleaseManager, SecurityLead, Admin];

    public static bool TryParse([NotNullWhen(true)] string? name, out Role role)
    {
        foreach (var known in All)
        {
            if (string.Equals(known.Name, name, StringComparison.Ordinal))
            {
                role = known;
                return true;
            }
        }
        if (string.Equals(name, System.Name, StringComparison.Ordinal))
        {
            role = System;
            return true;
        }
        role = default;
        return false;
    }

    public override string ToString() => Name ?? "";
}
