using System.Collections.Frozen;

namespace Ripcord.Server.Auth;

/// <summary>The roles of SPEC §9, plus SDK keys.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Support = "support";
    public const string Operator = "operator";
    public const string OpsLead = "ops-lead";
    public const string ReleaseManager = "release-manager";
    public const string SecurityLead = "security-lead";
    public const string Admin = "admin";
    public const string Sdk = "sdk";

    public static readonly IReadOnlyList<string> All =
        [Viewer, Support, Operator, OpsLead, ReleaseManager, SecurityLead, Admin, Sdk];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}

/// <summary>What an endpoint needs. Each endpoint names exactly one.</summary>
public enum Permission
{
    ConfigRead,
    Evaluate,
    CohortsWrite,
    OverridesWrite,
    DiagnosticOverridesWrite,
    StageWrite,
    DefinitionWrite,
    AuditRead,
    TokensManage,
    ClientsRead,
    TelemetryWrite,
    TelemetryRead,
    OverrideGrant,
}

/// <summary>
/// The role matrix, in one place. docs/roles.md shows the same table, and a test holds the
/// two (and every endpoint's behaviour) to each other.
/// </summary>
public static class RoleMatrix
{
    private static readonly string[] Humans =
        [Roles.Viewer, Roles.Support, Roles.Operator, Roles.OpsLead, Roles.ReleaseManager, Roles.SecurityLead, Roles.Admin];

    private static readonly string[] FlagWriters =
        [Roles.Operator, Roles.OpsLead, Roles.ReleaseManager, Roles.SecurityLead, Roles.Admin];

    public static readonly FrozenDictionary<Permission, FrozenSet<string>> Allowed = new Dictionary<Permission, string[]>
    {
        [Permission.ConfigRead] = [.. Humans, Roles.Sdk],
        [Permission.Evaluate] = [.. Humans, Roles.Sdk],
        [Permission.CohortsWrite] = [Roles.Operator, Roles.OpsLead, Roles.ReleaseManager, Roles.Admin],
        [Permission.OverridesWrite] = FlagWriters,
        // Support may set short-lived user-scope overrides to diagnose one user, nothing broader.
        [Permission.DiagnosticOverridesWrite] = [Roles.Support, .. FlagWriters],
        [Permission.StageWrite] = [Roles.ReleaseManager, Roles.Admin],
        [Permission.DefinitionWrite] = [Roles.ReleaseManager, Roles.Admin],
        [Permission.AuditRead] = [Roles.OpsLead, Roles.ReleaseManager, Roles.SecurityLead, Roles.Admin],
        [Permission.TokensManage] = [Roles.Admin],
        [Permission.ClientsRead] = Humans,
        [Permission.TelemetryWrite] = [Roles.Sdk, Roles.Admin],
        [Permission.TelemetryRead] = [Roles.Operator, Roles.OpsLead, Roles.ReleaseManager, Roles.SecurityLead, Roles.Admin],
        // A tier-2 fallback override is an emergency action: security lead or admin only (SPEC §4, §9).
        [Permission.OverrideGrant] = [Roles.SecurityLead, Roles.Admin],
    }.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenSet(StringComparer.Ordinal));

    public static bool Allows(Permission permission, string role) => Allowed[permission].Contains(role);

    public static string PolicyName(Permission permission) => "perm:" + permission;
}
