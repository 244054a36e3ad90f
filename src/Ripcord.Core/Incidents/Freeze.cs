using System.Collections.Immutable;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Incidents;

/// <summary>
/// A deployment freeze (SPEC §6, §9): while active, deploys of the program — or only those touching
/// its scope — should not proceed. Deploy pipelines ask; an ops lead may put a scoped one in place.
/// </summary>
public sealed record Freeze
{
    public required string Id { get; init; }
    public required string Program { get; init; }
    /// <summary><c>global</c>, <c>workspace:ID</c> or <c>cohort:ID</c>.</summary>
    public required string Scope { get; init; }
    public required string Reason { get; init; }
    public string? IncidentId { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required string StartedBy { get; init; }
    public required string StartedByPrincipal { get; init; }
    /// <summary>When it ends by itself, if it does.</summary>
    public DateTimeOffset? Until { get; init; }
    public DateTimeOffset? LiftedAt { get; init; }
    public string? LiftedBy { get; init; }
    public string? LiftReason { get; init; }

    public bool IsActive(DateTimeOffset now) => LiftedAt is null && (Until is not { } until || now < until);

    public const int MaxDurationHours = 24 * 14;

    public static Freeze Start(string id, ProgramState program, string scope, string reason, string? incidentId, TimeSpan? duration,
        string by, string byPrincipal, DateTimeOffset now)
    {
        if (!Evaluation.Scope.TryParse(scope, out var parsed, out var error))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", error!);
        }
        if (parsed.Kind == ScopeKind.User)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", "a freeze is global, for a workspace or for a cohort");
        }
        if (parsed.Kind == ScopeKind.Cohort && program.FindCohort(parsed.Id!) is null)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "scope", $"unknown cohort '{parsed.Id}' in program '{program.Program}'");
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > IncidentWorkflow.MaxTextLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", "a freeze needs a reason");
        }
        if (duration is { } d && (d <= TimeSpan.Zero || d > TimeSpan.FromHours(MaxDurationHours)))
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "forMinutes", $"a freeze lasts from a minute to {MaxDurationHours / 24} days (or until lifted)");
        }
        return new Freeze
        {
            Id = id, Program = program.Program, Scope = parsed.ToString(), Reason = reason.Trim(), IncidentId = incidentId, StartedAt = now,
            StartedBy = by, StartedByPrincipal = byPrincipal, Until = duration is { } span ? now + span : null,
        };
    }

    public Freeze Lift(string reason, string by, DateTimeOffset now)
    {
        if (!IsActive(now))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "freeze", $"freeze {Id} is no longer active");
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > IncidentWorkflow.MaxTextLength)
        {
            throw new ChangeRejectedException(ChangeError.Invalid, "reason", "lifting a freeze needs a reason");
        }
        return this with { LiftedAt = now, LiftedBy = by, LiftReason = reason.Trim() };
    }
}

/// <summary>Whether a deploy may proceed, and the freezes that say no.</summary>
public sealed record DeployDecision(bool MayProceed, ImmutableArray<Freeze> Blocking, string Reason);

public static class Freezes
{
    /// <summary>
    /// A deploy of the program (or of one workspace or cohort of it) may proceed unless an active freeze
    /// covers it: a global freeze covers every deploy; a scoped one covers a deploy to that scope, and any
    /// deploy that names no scope (it may touch the frozen part).
    /// </summary>
    public static DeployDecision Decide(IEnumerable<Freeze> freezes, CompiledProgram program, Scope? deployScope, DateTimeOffset now)
    {
        var blocking = freezes.Where(f => f.IsActive(now) && Covers(Scope.Parse(f.Scope), deployScope, program)).ToImmutableArray();
        return blocking.IsEmpty
            ? new DeployDecision(true, [], "no active freeze covers this deploy")
            : new DeployDecision(false, blocking, $"frozen: {string.Join("; ", blocking.Select(f => $"{f.Scope} by {f.StartedBy} ({f.Reason})"))}");
    }

    private static bool Covers(Scope freeze, Scope? deploy, CompiledProgram program)
    {
        if (freeze.Kind == ScopeKind.Global || deploy is not { } d || d.Kind == ScopeKind.Global || freeze == d)
        {
            return true;
        }
        // A deploy to a workspace inside a frozen cohort is frozen too.
        return freeze.Kind == ScopeKind.Cohort && d.Kind == ScopeKind.Workspace && program.Contains(freeze, new EvaluationContext(d.Id));
    }
}
