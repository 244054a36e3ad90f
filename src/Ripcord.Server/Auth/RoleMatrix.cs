using System.Collections.Frozen;
using Ripcord.Core.Governance;

namespace Ripcord.Server.Auth;

/// <summary>What an endpoint needs. Each endpoint names exactly one.</summary>
public enum Permission
{
    ConfigRead,
    SdkRead,
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
    InAppOverride,
    IncidentsRead,
    IncidentsWrite,
    KillSwitchActivate,
    KillSwitchDeactivate,
    KillSwitchApprove,
    ReviewsComplete,
    FreezeStart,
    FreezeLift,
    WebhooksManage,
    ChecksWrite,
    SecuritySignoff,
    SupportLoadWrite,
    StageAdvance,
    KnownSafeWrite,
    RampManage,
    RollbackStart,
    StageLockLift,
    FixManage,
    FixSignoff,
}

/// <summary>
/// The role matrix, in one place. docs/roles.md shows the same table, and a test holds the
/// two (and every endpoint's behaviour) to each other.
/// </summary>
public static class RoleMatrix
{
    private static readonly Role[] Humans = [.. Role.People];

    private static readonly Role[] FlagWriters = [Role.Operator, Role.OpsLead, Role.ReleaseManager, Role.SecurityLead, Role.Admin];

    public static readonly FrozenDictionary<Permission, FrozenSet<Role>> Allowed = new Dictionary<Permission, Role[]>
    {
        // Configuration and its history (actors, past states, reasons, cohort members) is for people (SPEC §9).
        [Permission.ConfigRead] = Humans,
        // What code with an sdk key reads: the stream, the program's current revision and flag keys, whether a deploy may proceed.
        [Permission.SdkRead] = [.. Humans, Role.Sdk],
        [Permission.Evaluate] = [.. Humans, Role.Sdk],
        [Permission.CohortsWrite] = [Role.Operator, Role.OpsLead, Role.ReleaseManager, Role.Admin],
        [Permission.OverridesWrite] = FlagWriters,
        // Support may set short-lived user-scope overrides to diagnose one user, nothing broader.
        [Permission.DiagnosticOverridesWrite] = [Role.Support, .. FlagWriters],
        [Permission.StageWrite] = [Role.ReleaseManager, Role.Admin],
        [Permission.DefinitionWrite] = [Role.ReleaseManager, Role.Admin],
        [Permission.AuditRead] = [Role.OpsLead, Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        [Permission.TokensManage] = [Role.Admin],
        [Permission.ClientsRead] = Humans,
        [Permission.TelemetryWrite] = [Role.Sdk, Role.Admin],
        [Permission.TelemetryRead] = [Role.Operator, Role.OpsLead, Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        // A tier-2 fallback override is an emergency action: security lead or admin only (SPEC §4, §9).
        [Permission.OverrideGrant] = [Role.SecurityLead, Role.Admin],
        // An app overriding tier 2 asks with its own SDK key, never an operator's token; the definition says which app roles may.
        [Permission.InAppOverride] = [Role.Sdk],
        [Permission.IncidentsRead] = Humans,
        [Permission.IncidentsWrite] = FlagWriters,
        // Ops leads may activate only by request: their activation waits for a release manager's or security lead's approval (SPEC §9).
        [Permission.KillSwitchActivate] = [Role.OpsLead, Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        [Permission.KillSwitchDeactivate] = [Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        [Permission.KillSwitchApprove] = [Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        [Permission.ReviewsComplete] = [Role.OpsLead, Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        // Ops leads may put a scoped freeze in place (SPEC §9); lifting one is for release managers and security leads.
        [Permission.FreezeStart] = [Role.OpsLead, Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        [Permission.FreezeLift] = [Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        // Webhooks send events (incidents, kill switches) outside: who may point them somewhere, and read how delivery went.
        [Permission.WebhooksManage] = [Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        // Stage gates (SPEC §3): CI posts checks with an operator (or release-manager) token; sign-offs are the security lead's;
        // the support load is posted by the people who carry it; only a release manager advances a stage or tags a revision known-safe.
        [Permission.ChecksWrite] = [Role.Operator, Role.ReleaseManager, Role.Admin],
        [Permission.SecuritySignoff] = [Role.SecurityLead, Role.Admin],
        [Permission.SupportLoadWrite] = [Role.Operator, Role.OpsLead, Role.ReleaseManager, Role.Admin],
        [Permission.StageAdvance] = [Role.ReleaseManager, Role.Admin],
        [Permission.KnownSafeWrite] = [Role.ReleaseManager, Role.Admin],
        // A guarded ramp widens a stage's cohort by itself: starting, pausing and resuming one is a release manager's call.
        [Permission.RampManage] = [Role.ReleaseManager, Role.Admin],
        // A rollback run (seed §13, §21): release managers, and security leads for the emergency case. Its stage lock is normally lifted by
        // a forward fix's resume (after a release manager's and a security lead's sign-offs); a release manager alone may still lift it (break-glass).
        [Permission.RollbackStart] = [Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        [Permission.StageLockLift] = [Role.ReleaseManager, Role.Admin],
        // A forward fix (seed §14) is run by release managers and security leads; its two sign-offs are theirs, one each, by two
        // different people: the signer's role decides which, so an admin token (no such role) gives neither.
        [Permission.FixManage] = [Role.ReleaseManager, Role.SecurityLead, Role.Admin],
        [Permission.FixSignoff] = [Role.ReleaseManager, Role.SecurityLead],
    }.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenSet());

    public static bool Allows(Permission permission, Role role) => Allowed[permission].Contains(role);

    /// <summary>The role names a permission admits, for ASP.NET Core's role requirement and for error messages.</summary>
    // Computed once: ASP.NET Core's role requirement keeps the list it is given and walks it on every request.
    private static readonly FrozenDictionary<Permission, string[]> Names = Allowed.ToFrozenDictionary(
        kv => kv.Key, kv => Role.All.Where(kv.Value.Contains).Select(r => r.Name).ToArray());

    public static IReadOnlyList<string> RoleNames(Permission permission) => Names[permission];

    public static string PolicyName(Permission permission) => "perm:" + permission;
}
