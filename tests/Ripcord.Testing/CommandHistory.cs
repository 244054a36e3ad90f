using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;

namespace Ripcord.Testing;

/// <summary>
/// A random history of commands on the groups program: overrides set, replaced and removed,
/// cohorts created and replaced, stage moves, kill switches on and off, definition applies that
/// reorder or drop cohorts, rollbacks to earlier revisions, and tier-2 override grants issued (some
/// expiring between steps, so later issues prune them) and revoked. Each step is a few random numbers,
/// interpreted against the state reached so far, so every command is meaningful (and some are
/// refused, as real ones are).
/// </summary>
public sealed record CommandHistory(IReadOnlyList<(int Kind, int A, int B)> Steps)
{
    public override string ToString() => string.Join(" ", Steps.Select(s => $"{s.Kind}:{s.A}:{s.B}"));

    public static Arbitrary<CommandHistory> Arbitrary =>
        (from kind in Gen.Choose(0, 12)
         from a in Gen.Choose(0, 1000)
         from b in Gen.Choose(0, 1000)
         select (kind, a, b))
            .ListOf().Select(l => new CommandHistory([.. l.Take(40)]))
            .ToArbitrary();

    private static readonly Principal Alice = new("prn_alice", "alice");
    private static readonly string[] Workspaces = ["w1", "w2", "w3", "w4", "w5"];
    private static readonly string[] Stages = ["0", "1", "2", "3", "freeze"];
    private static readonly string[] Levels = ["KS1", "KS2", "KS3", "KS4", "KS5"];

    /// <summary>
    /// Applies the history from the program's creation; returns every revision's state (index 0 is
    /// revision 1). Refused commands, and ones that change nothing, make no revision, as in the server.
    /// </summary>
    public List<(ProgramCommand Command, ProgramState State)> Run(DateTimeOffset start)
    {
        var revisions = new List<(ProgramCommand, ProgramState)>();
        var create = new ApplyDefinition(BuiltInPrograms.Groups);
        revisions.Add((create, ProgramChanges.Apply(null, create, start).State));
        var now = start;
        for (var i = 0; i < Steps.Count; i++)
        {
            now = now.AddMinutes(7);
            var state = revisions[^1].Item2;
            var command = CommandFor(i, state, [.. revisions.Select(r => r.Item2)], now);
            try
            {
                var change = ProgramChanges.Apply(state, command, now);
                // A command that changes nothing (the same stage, cohort or override again) makes no revision, as in the server.
                if (!ProgramChanges.IsNoOp(state, change))
                {
                    revisions.Add((command, change.State));
                }
            }
            catch (ChangeRejectedException)
            {
            }
        }
        return revisions;
    }

    /// <summary>
    /// The command of step <paramref name="i"/> against <paramref name="state"/>, given the states of the
    /// revisions before it (what a rollback may return to). <paramref name="idTag"/> keeps the ids of
    /// histories run one after another on the same program apart.
    /// </summary>
    public ProgramCommand CommandFor(int i, ProgramState state, IReadOnlyList<ProgramState> revisions, DateTimeOffset now, string idTag = "")
    {
        var (kind, a, b) = Steps[i];
        var flags = state.Definition.Flags;
        string Scope(int n) => (n % 4) switch
        {
            0 => "global",
            1 => "workspace:" + Workspaces[n % Workspaces.Length],
            2 => "cohort:" + state.Cohorts[n % state.Cohorts.Length].Id,
            _ => "user:u" + (n % 3),
        };
        switch (kind)
        {
            case 0 or 1 or 2:
                var scope = Scope(a);
                // User scope must expire within 72 h; other scopes sometimes expire, sometimes not.
                DateTimeOffset? expires = scope.StartsWith("user:", StringComparison.Ordinal) ? now.AddHours(1 + b % 70)
                    : b % 3 == 0 ? now.AddHours(1 + b) : null;
                return new SetOverride($"ovr_{idTag}{i}", flags[b % flags.Length].Key, scope, b % 2 == 0, "because " + i, expires, Alice);
            case 3:
                return new RemoveOverride(state.Overrides.IsEmpty ? "ovr_missing" : state.Overrides[a % state.Overrides.Length].Id);
            case 4:
                var id = a % 3 == 0 ? "extra-" + (b % 3) : state.Cohorts[a % state.Cohorts.Length].Id;
                return new PutCohort(new CohortDefinition { Id = id, Workspaces = [.. Workspaces.Where((_, n) => (b >> n) % 2 == 1)] });
            case 5:
                return new SetStage(Stages[a % Stages.Length]);
            case 6:
                return new ActivateKillSwitch($"ks_{idTag}{i}", Levels[a % Levels.Length], a % 4 == 3 ? "global" : Scope(a), b % 2 == 0 ? "inc_1" : null, "incident " + i, Alice);
            case 7:
                return new DeactivateKillSwitch(state.KillSwitches.IsEmpty ? "ks_missing" : state.KillSwitches[a % state.KillSwitches.Length].Id, "resolved");
            case 8:
                return new ApplyDefinition(Reshuffled(state.Definition, a, b));
            case 11:
                // Steps are 7 minutes apart: a short grant has expired a few steps on, a long one outlives the history.
                return new IssueGrant($"grt_{idTag}{i}", Workspaces[a % Workspaces.Length], a % 2 == 0 ? "send" : "create", "grant " + i,
                    now.AddMinutes(1 + b % 240), Alice, b % 3 == 0 ? "group-admin" : null);
            case 12:
                return new RevokeGrant(state.Grants.IsEmpty ? "grt_missing" : state.Grants[a % state.Grants.Length].Id, "restored");
            default:
                var target = a % revisions.Count;
                return new RollbackTo(target + 1, revisions[target], "back to " + (target + 1));
        }
    }

    /// <summary>
    /// The definition with its cohorts rotated, and sometimes an extra cohort: applies that reorder
    /// cohorts, and drop cohorts (and the overrides and kill switches scoped to them).
    /// </summary>
    private static ProgramDefinition Reshuffled(ProgramDefinition definition, int a, int b)
    {
        var cohorts = BuiltInPrograms.Groups.Cohorts;
        var rotated = cohorts.Skip(a % cohorts.Length).Concat(cohorts.Take(a % cohorts.Length)).ToImmutableArray();
        if (b % 2 == 0)
        {
            rotated = rotated.Insert(b % rotated.Length, new CohortDefinition { Id = "beta", Workspaces = ["w2", "w4"] });
        }
        return definition with { Cohorts = rotated, Description = "applied at step " + a };
    }
}
