using System.Collections.Immutable;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Bench;

/// <summary>Knobs of the synthetic program; the defaults are the "large program" of the benchmarks.</summary>
public sealed record SyntheticOptions
{
    /// <summary>Every random choice derives from this seed: same options, same program.</summary>
    public int Seed { get; init; } = 20_250_601;
    public int Flags { get; init; } = 1_000;
    public int Cohorts { get; init; } = 100;
    public int Overrides { get; init; } = 10_000;
    /// <summary>Size of the workspace id universe (<c>ws-00000</c>…) that lists and overrides draw from.</summary>
    public int Workspaces { get; init; } = 20_000;
    /// <summary>Size of the user id universe (<c>u-000000</c>…).</summary>
    public int Users { get; init; } = 100_000;
    /// <summary>Current stage: <c>0</c>…<c>3</c> or <c>freeze</c>.</summary>
    public string Stage { get; init; } = "2";

    /// <summary>
    /// Extra workspace overrides that turn the emergency flag on (an incident in progress at a
    /// few workspaces). Drawn from their own random stream, after everything else, so the rest
    /// of the program is identical with or without them. 0 (the default) keeps the emergency
    /// flag constant, as in the groups program outside the freeze stage.
    /// </summary>
    public int EmergencyOverrides { get; init; }
}

/// <summary>
/// A deterministic synthetic program of realistic shape and size:
/// <list type="bullet">
/// <item>flags: 10 root flags (R0…R9), one emergency flag (like groups' F5), the rest features;
///   ~35% of features need one root flag, ~10% two; ~15% are "guard" flags (default and safe true);</item>
/// <item>cohorts: one <c>everyone</c>, 45 explicit workspace/user lists (10–200 workspaces each),
///   27 rules (<c>tier &gt;= 1</c>, <c>plan == "enterprise"</c>…), 27 stable percentage buckets;</item>
/// <item>stage profiles 0–3 and freeze: per stage, ~55% of features on for 1–4 cohorts, ~20% set
///   for everyone, the rest left to their default;</item>
/// <item>kill-switch levels KS1…KS5, two of them active (one at a workspace, one at a cohort);</item>
/// <item>overrides: 10 global, ~8% cohort, ~6.9% user (with expiry, a tenth of them already
///   expired), the rest (~85%) workspace; skewed so that low-numbered features carry hundreds
///   of overrides and most carry a few.</item>
/// </list>
/// </summary>
public sealed class SyntheticProgram
{
    public const string ProgramKey = "synthetic";
    public const int RootCount = 10;
    public const int EmergencyIndex = RootCount;
    public const string EveryoneCohort = "all";
    public const int ListCohorts = 45;
    public const int RuleCohorts = 27;

    /// <summary>The instant every benchmark evaluates at; override expiries are relative to it.</summary>
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] RuleTemplates =
    [
        "tier >= 1",
        "tier >= 2",
        "tier == 0",
        "plan == \"enterprise\"",
        "plan == \"pro\"",
        "plan in [\"pro\", \"enterprise\"]",
        "region == \"eu\"",
        "region == \"us\" && tier >= 1",
        "platform == \"ios\"",
        "platform in [\"ios\", \"android\"]",
        "appVersion >= 7",
        "beta",
        "not beta && plan == \"free\"",
        "workspaceType == \"pilot\" || tier >= 2",
    ];

    private static readonly decimal[] Percentages = [0.5m, 1, 2, 5, 10, 15, 20, 25, 33.33m, 50, 75, 90];

    private SyntheticProgram(SyntheticOptions options, ProgramDefinition definition, ProgramState state, CompiledProgram compiled)
    {
        Options = options;
        Definition = definition;
        State = state;
        Compiled = compiled;
    }

    public SyntheticOptions Options { get; }
    public ProgramDefinition Definition { get; }
    public ProgramState State { get; }
    public CompiledProgram Compiled { get; }

    public static string WorkspaceId(int n) => $"ws-{n:D5}";

    public static string UserId(int n) => $"u-{n:D6}";

    public static SyntheticProgram Build(SyntheticOptions? options = null)
    {
        options ??= new SyntheticOptions();
        var rng = new Random(options.Seed);
        var flags = BuildFlags(options, rng);
        var cohorts = BuildCohorts(options, rng);
        var stages = BuildStages(flags, cohorts, rng);
        var levels = BuildKillSwitchLevels(flags, rng);

        var definition = new ProgramDefinition
        {
            Key = ProgramKey,
            Description = "Synthetic program for benchmarks.",
            EmergencyFlag = flags[EmergencyIndex].Key,
            Flags = [.. flags],
            Cohorts = [.. cohorts],
            Stages = [.. stages],
            KillSwitchLevels = [.. levels],
            Tiers =
            [
                new TierDefinition { Id = 0, Name = "Standard" },
                new TierDefinition { Id = 1, Name = "Sensitive" },
                new TierDefinition { Id = 2, Name = "Mission-critical" },
            ],
        };
        var errors = DefinitionValidator.Validate(definition).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("synthetic definition is invalid: "
                + string.Join("; ", errors.Take(5).Select(e => $"{e.Path}: {e.Message}")));
        }

        var overrides = BuildOverrides(options, flags, cohorts, rng);
        var activations = ImmutableArray.Create(
            new KillSwitchActivation
            {
                Id = "ks-0001",
                Level = "KS2",
                Scope = new Scope(ScopeKind.Workspace, WorkspaceId(rng.Next(options.Workspaces))),
                Reason = "synthetic incident",
                ActivatedAt = Now.AddHours(-3),
                ActivatedBy = "bench",
            },
            new KillSwitchActivation
            {
                Id = "ks-0002",
                Level = "KS3",
                Scope = new Scope(ScopeKind.Cohort, cohorts[1 + rng.Next(ListCohorts)].Id),
                Reason = "synthetic incident",
                ActivatedAt = Now.AddHours(-2),
                ActivatedBy = "bench",
            });

        var state = ProgramChanges.SetStage(ProgramState.Initial(definition), options.Stage) with
        {
            Overrides = overrides,
            KillSwitches = activations,
        };
        return new SyntheticProgram(options, definition, state, CompiledProgram.Compile(state, revision: 1));
    }

    private static List<FlagDefinition> BuildFlags(SyntheticOptions options, Random rng)
    {
        var flags = new List<FlagDefinition>(options.Flags);
        for (var i = 0; i < RootCount; i++)
        {
            flags.Add(new FlagDefinition
            {
                Key = $"synth.root.r{i}",
                Alias = $"R{i}",
                Default = false,
                Safe = false,
                Description = "Root flag other features depend on.",
            });
        }
        flags.Add(new FlagDefinition
        {
            Key = "synth.emergency.disableAll",
            Alias = "EMERGENCY",
            Default = false,
            Safe = true,
            Description = "Emergency switch; when on, every other flag takes its safe value.",
        });
        for (var i = flags.Count; i < options.Flags; i++)
        {
            var guard = rng.NextDouble() < 0.15;
            var p = rng.NextDouble();
            ImmutableArray<string> prerequisites = [];
            if (p < 0.10)
            {
                var a = rng.Next(RootCount);
                var b = (a + 1 + rng.Next(RootCount - 1)) % RootCount;
                prerequisites = [flags[a].Key, flags[b].Key];
            }
            else if (p < 0.45)
            {
                prerequisites = [flags[rng.Next(RootCount)].Key];
            }
            flags.Add(new FlagDefinition
            {
                Key = $"synth.feature.f{i:D4}",
                Default = guard,
                Safe = guard,
                Prerequisites = prerequisites,
                Description = guard ? "Guard flag (on is safe)." : "Feature flag.",
            });
        }
        return flags;
    }

    private static List<CohortDefinition> BuildCohorts(SyntheticOptions options, Random rng)
    {
        var cohorts = new List<CohortDefinition>(options.Cohorts)
        {
            new() { Id = EveryoneCohort, Description = "Everyone.", Everyone = true },
        };
        for (var i = 0; i < ListCohorts; i++)
        {
            var workspaces = Distinct(rng, rng.Next(10, 201), options.Workspaces).Select(WorkspaceId);
            var users = Distinct(rng, rng.Next(0, 6), options.Users).Select(UserId);
            cohorts.Add(new CohortDefinition
            {
                Id = $"list-{i:D2}",
                Description = "Explicit workspaces.",
                Workspaces = [.. workspaces],
                Users = [.. users],
            });
        }
        for (var i = 0; i < RuleCohorts; i++)
        {
            cohorts.Add(new CohortDefinition
            {
                Id = $"rule-{i:D2}",
                Description = "Rule cohort.",
                Rule = RuleTemplates[i % RuleTemplates.Length],
            });
        }
        for (var i = cohorts.Count; i < options.Cohorts; i++)
        {
            cohorts.Add(new CohortDefinition
            {
                Id = $"pct-{i - 1 - ListCohorts - RuleCohorts:D2}",
                Description = "Stable percentage bucket of workspaces.",
                Percentage = Percentages[rng.Next(Percentages.Length)],
            });
        }
        return cohorts;
    }

    private static List<StageProfile> BuildStages(List<FlagDefinition> flags, List<CohortDefinition> cohorts, Random rng)
    {
        string[] PickCohorts(int min, int max)
        {
            // Never the everyone cohort by chance; it is used on purpose below.
            var n = rng.Next(min, max + 1);
            return [.. Distinct(rng, n, cohorts.Count - 1).Select(c => cohorts[c + 1].Id)];
        }

        var stages = new List<StageProfile>();
        foreach (var id in (string[])["0", "1", "2", "3"])
        {
            var assignments = new List<StageAssignment>(flags.Count);
            for (var i = 0; i < flags.Count; i++)
            {
                var flag = flags[i];
                if (i == EmergencyIndex)
                {
                    assignments.Add(new StageAssignment { Flag = flag.Key, Value = false });
                }
                else if (i < RootCount)
                {
                    assignments.Add(i < RootCount / 2 && id != "0"
                        ? new StageAssignment { Flag = flag.Key, Value = true }
                        : new StageAssignment { Flag = flag.Key, Value = true, Cohorts = [.. PickCohorts(1, 3)] });
                }
                else
                {
                    var r = rng.NextDouble();
                    if (r < 0.55)
                    {
                        assignments.Add(new StageAssignment { Flag = flag.Key, Value = !flag.Safe, Cohorts = [.. PickCohorts(1, 4)] });
                    }
                    else if (r < 0.60)
                    {
                        assignments.Add(new StageAssignment { Flag = flag.Key, Value = !flag.Safe, Cohorts = [EveryoneCohort] });
                    }
                    else if (r < 0.80)
                    {
                        assignments.Add(new StageAssignment { Flag = flag.Key, Value = rng.NextDouble() < 0.9 ? !flag.Safe : flag.Safe });
                    }
                }
            }
            stages.Add(new StageProfile { Id = id, Name = $"Stage {id}", Assignments = [.. assignments] });
        }
        stages.Add(new StageProfile
        {
            Id = "freeze",
            Name = "Emergency freeze",
            Assignments = [.. flags.Select(f => new StageAssignment { Flag = f.Key, Value = f.Safe })],
        });
        return stages;
    }

    private static List<KillSwitchLevel> BuildKillSwitchLevels(List<FlagDefinition> flags, Random rng)
    {
        var levels = new List<KillSwitchLevel>();
        for (var k = 1; k <= 4; k++)
        {
            var effects = Distinct(rng, rng.Next(3, 16), flags.Count - RootCount - 1)
                .Select(i => flags[i + RootCount + 1])
                .Select(f => new KillSwitchEffect(f.Key, f.Safe));
            levels.Add(new KillSwitchLevel { Id = $"KS{k}", Meaning = $"Synthetic level {k}.", Effects = [.. effects] });
        }
        levels.Add(new KillSwitchLevel
        {
            Id = "KS5",
            Meaning = "Full disable.",
            Effects = [new KillSwitchEffect(flags[EmergencyIndex].Key, true)],
        });
        return levels;
    }

    private static ImmutableArray<FlagOverride> BuildOverrides(SyntheticOptions options, List<FlagDefinition> flags,
        List<CohortDefinition> cohorts, Random rng)
    {
        var total = options.Overrides;
        var globals = Math.Min(10, total);
        var cohortScoped = total * 8 / 100;
        var userScoped = total * 69 / 1000;
        var features = flags.Count - RootCount - 1;
        var taken = new HashSet<(string, Scope)>();
        var result = ImmutableArray.CreateBuilder<FlagOverride>(total + options.EmergencyOverrides);

        FlagDefinition PickFlag()
        {
            // 2% on root flags; otherwise skewed towards low-numbered features (u² puts ~30% of
            // the overrides on the first 10% of the features), like a few hot flags in real life.
            if (rng.NextDouble() < 0.02)
            {
                return flags[rng.Next(RootCount)];
            }
            var u = rng.NextDouble();
            return flags[RootCount + 1 + (int)(features * u * u)];
        }

        for (var n = 0; n < total; n++)
        {
            while (true)
            {
                var flag = PickFlag();
                Scope scope;
                DateTimeOffset? expires = null;
                if (n < globals)
                {
                    scope = Scope.Global;
                }
                else if (n < globals + cohortScoped)
                {
                    scope = new Scope(ScopeKind.Cohort, cohorts[1 + rng.Next(cohorts.Count - 1)].Id);
                }
                else if (n < globals + cohortScoped + userScoped)
                {
                    scope = new Scope(ScopeKind.User, UserId(rng.Next(options.Users)));
                    // Diagnostic overrides: at most 72 h ahead; a tenth already expired but not yet removed.
                    expires = rng.NextDouble() < 0.1 ? Now.AddHours(-1 - rng.Next(24)) : Now.AddHours(1 + rng.Next(72));
                }
                else
                {
                    scope = new Scope(ScopeKind.Workspace, WorkspaceId(rng.Next(options.Workspaces)));
                    expires = rng.NextDouble() < 0.2 ? Now.AddDays(1 + rng.Next(30)) : null;
                }
                if (!taken.Add((flag.Key, scope)))
                {
                    continue;
                }
                result.Add(NewOverride($"ovr-{n:D5}", flag.Key, scope, rng.NextDouble() < 0.75 ? !flag.Safe : flag.Safe, expires));
                break;
            }
        }

        var incident = new Random(options.Seed ^ 0x5eed);
        for (var n = 0; n < options.EmergencyOverrides; n++)
        {
            var scope = new Scope(ScopeKind.Workspace, WorkspaceId(incident.Next(options.Workspaces)));
            if (taken.Add((flags[EmergencyIndex].Key, scope)))
            {
                result.Add(NewOverride($"ovr-emergency-{n:D2}", flags[EmergencyIndex].Key, scope, true, Now.AddHours(12)));
            }
        }
        return result.DrainToImmutable();
    }

    private static FlagOverride NewOverride(string id, string flag, Scope scope, bool value, DateTimeOffset? expires) => new()
    {
        Id = id,
        Flag = flag,
        Scope = scope,
        Value = value,
        Reason = "synthetic",
        CreatedAt = Now.AddDays(-1),
        CreatedBy = "bench",
        ExpiresAt = expires,
    };

    /// <summary><paramref name="count"/> distinct integers in [0, <paramref name="max"/>), in draw order.</summary>
    private static List<int> Distinct(Random rng, int count, int max)
    {
        count = Math.Min(count, max);
        var seen = new HashSet<int>();
        var result = new List<int>(count);
        while (result.Count < count)
        {
            var x = rng.Next(max);
            if (seen.Add(x))
            {
                result.Add(x);
            }
        }
        return result;
    }
}
