namespace Ripcord.Core.Evaluation;

/// <summary>
/// SPEC §2 evaluation, pure and total: same program, context and instant, same result;
/// every flag always has a value and a reason. The server and the SDK both call this.
/// <para>Order for one flag: (1) kill-switch effects on it matching the context, then the
/// emergency flag (if on, every other flag takes its safe value); (2) overrides
/// user &gt; cohort &gt; workspace &gt; global; (3) the current stage profile; (4) the default.
/// Then prerequisites: one that is off makes the flag safe. Two different values inside
/// one layer give the safe value. The emergency flag is monotone: it is on if any layer
/// that applies turns it on. Expired overrides never apply.</para>
/// Single-flag evaluation allocates nothing: the context's workspace and user ids are hashed
/// once, and cohort membership is memoised on the stack.
/// </summary>
public static class Evaluator
{
    private const int StackCohorts = 256;

    public static FlagResult Evaluate(CompiledProgram program, int flagIndex, EvaluationContext context, DateTimeOffset now)
    {
        if (program.Flags[flagIndex].Constant is { } constant)
        {
            return constant;
        }
        var count = program.Cohorts.Length;
        // Both stackalloc (the assembly does not skip locals init) and new arrays start zeroed: no Clear needed.
        Span<sbyte> memo = count <= StackCohorts ? stackalloc sbyte[StackCohorts] : new sbyte[count];
        memo = memo[..count];
        if (program.Flags[flagIndex].NeedsPrerequisiteMemo)
        {
            // Rare: shared prerequisites. Memoise every flag touched, so each is evaluated once.
            var results = new FlagResult[program.Flags.Length];
            var scopeWithMemo = new EvalScope(program, context, now.UtcTicks, memo, new bool[program.Flags.Length], results);
            return Eval(ref scopeWithMemo, flagIndex);
        }
        var scope = new EvalScope(program, context, now.UtcTicks, memo, null, default);
        return Eval(ref scope, flagIndex);
    }

    /// <summary>Evaluates a flag named by key or alias; an unknown flag is false with reason flag-not-found.</summary>
    public static FlagResult Evaluate(CompiledProgram program, string flag, EvaluationContext context, DateTimeOffset now) =>
        program.TryGetFlagIndex(flag, out var index)
            ? Evaluate(program, index, context, now)
            : new FlagResult(false, EvaluationReason.FlagNotFound, "global", "flag-not-found");

    /// <summary>Every flag of the program, in definition order.</summary>
    public static FlagResult[] EvaluateAll(CompiledProgram program, EvaluationContext context, DateTimeOffset now)
    {
        var results = new FlagResult[program.Flags.Length];
        EvaluateAll(program, context, now, results);
        return results;
    }

    /// <summary>Every flag of the program into <paramref name="results"/> (length ≥ flag count).</summary>
    public static void EvaluateAll(CompiledProgram program, EvaluationContext context, DateTimeOffset now, Span<FlagResult> results)
    {
        var count = program.Cohorts.Length;
        Span<sbyte> memo = count <= StackCohorts ? stackalloc sbyte[StackCohorts] : new sbyte[count];
        memo = memo[..count];
        var flags = program.Flags.Length;
        Span<bool> done = flags <= 1024 ? stackalloc bool[1024] : new bool[flags];
        done = done[..flags];
        var scope = new EvalScope(program, context, now.UtcTicks, memo, done, results);
        for (var i = 0; i < flags; i++)
        {
            results[i] = Eval(ref scope, i);
        }
    }

    /// <summary>
    /// Every flag for a member of one cohort who is in no other cohort (but those of everyone) and has no workspace or
    /// user of its own: what the cohort's members get from the global and cohort layers (kill switches, emergency,
    /// cohort and global overrides, the stage). The flags page's per-cohort column; null for a cohort the program lacks.
    /// </summary>
    public static FlagResult[]? EvaluateAllForCohort(CompiledProgram program, string cohortId, DateTimeOffset now)
    {
        var cohort = Array.FindIndex(program.Cohorts, c => string.Equals(c.Id, cohortId, StringComparison.Ordinal));
        if (cohort < 0)
        {
            return null;
        }
        var memo = new sbyte[program.Cohorts.Length];
        for (var i = 0; i < memo.Length; i++)
        {
            // Everyone cohorts are left to InCohort (they match any context).
            memo[i] = i == cohort ? (sbyte)1 : program.Cohorts[i].Kind == Definitions.CohortKind.Everyone ? (sbyte)0 : (sbyte)-1;
        }
        var results = new FlagResult[program.Flags.Length];
        var scope = new EvalScope(program, EvaluationContext.Empty, now.UtcTicks, memo, new bool[results.Length], results);
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = Eval(ref scope, i);
        }
        return results;
    }

    private ref struct EvalScope(CompiledProgram program, EvaluationContext context, long now, Span<sbyte> cohorts,
        Span<bool> done, Span<FlagResult> results)
    {
        public readonly CompiledProgram Program = program;
        public readonly EvaluationContext Context = context;
        public readonly long Now = now;
        public Span<sbyte> CohortMemo = cohorts;
        public Span<bool> Done = done;
        public Span<FlagResult> Results = results;
        public bool HasEmergency;
        public FlagResult Emergency;
        private bool _idsResolved;
        private IdEntry? _workspace;
        private IdEntry? _user;

        /// <summary>The context's workspace entry: looked up once per evaluation, then reused for every flag and cohort.</summary>
        public IdEntry? Workspace
        {
            get
            {
                ResolveIds();
                return _workspace;
            }
        }

        public IdEntry? User
        {
            get
            {
                ResolveIds();
                return _user;
            }
        }

        private void ResolveIds()
        {
            if (_idsResolved)
            {
                return;
            }
            _idsResolved = true;
            if (Context.WorkspaceId is { } w && Program.WorkspaceIds.Count > 0)
            {
                Program.WorkspaceIds.TryGetValue(w, out _workspace);
            }
            if (Context.UserId is { } u && Program.UserIds.Count > 0)
            {
                Program.UserIds.TryGetValue(u, out _user);
            }
        }
    }

    private static FlagResult Eval(ref EvalScope s, int index)
    {
        if (s.Done.Length > 0 && s.Done[index])
        {
            return s.Results[index];
        }
        var result = EvalUncached(ref s, index);
        if (s.Done.Length > 0)
        {
            s.Results[index] = result;
            s.Done[index] = true;
        }
        return result;
    }

    private static FlagResult EvalUncached(ref EvalScope s, int index)
    {
        var program = s.Program;
        var flag = program.Flags[index];
        if (flag.Constant is { } constant)
        {
            return constant;
        }
        if (flag.KillSwitchTable.Length > 0 && KillSwitch(ref s, flag) is { } killed)
        {
            return killed;
        }
        var emergencyIndex = program.EmergencyIndex;
        if (emergencyIndex >= 0 && index != emergencyIndex)
        {
            if (!s.HasEmergency)
            {
                s.Emergency = Eval(ref s, emergencyIndex);
                s.HasEmergency = true;
            }
            if (s.Emergency.Value)
            {
                return new FlagResult(flag.Safe, EvaluationReason.Emergency, s.Emergency.Scope, flag.EmergencySource);
            }
        }

        var result = Layers(ref s, flag, monotone: index == emergencyIndex);
        if (result.Value != flag.Safe)
        {
            var prereqs = flag.Prerequisites;
            for (var k = 0; k < prereqs.Length; k++)
            {
                if (!Eval(ref s, prereqs[k]).Value)
                {
                    return new FlagResult(flag.Safe, EvaluationReason.Prerequisite, flag.PrerequisiteScopes[k], flag.PrerequisiteSources[k]);
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Kill switch → overrides (user, cohort, workspace, global) → stage → default. In monotone
    /// mode (the emergency flag) a layer's "off" does not stop the search: any layer's "on" wins.
    /// </summary>
    /// <summary>The first kill-switch effect on this flag whose scope matches the context.</summary>
    private static FlagResult? KillSwitch(ref EvalScope s, CompiledFlag flag)
    {
        foreach (var ks in flag.KillSwitchTable)
        {
            if (Applies(ref s, ks.Kind, ks.ScopeId, ks.Cohort))
            {
                // Kill-switch effects only ever hold the flag's safe value (validated at definition time).
                return new FlagResult(ks.Value, EvaluationReason.KillSwitch, ks.Scope, ks.Source);
            }
        }
        return null;
    }

    private static FlagResult Layers(ref EvalScope s, CompiledFlag flag, bool monotone)
    {
        FlagResult? firstOff = null;

        if (flag.HasUserOverrides && s.User?.Override(flag.Index) is { } byUser && byUser.ExpiresUtcTicks > s.Now)
        {
            var r = FromOverride(byUser);
            if (!monotone || r.Value)
            {
                return r;
            }
            firstOff ??= r;
        }

        if (flag.CohortOverrides.Length > 0)
        {
            OverrideEntry? hit = null;
            OverrideEntry? other = null;
            foreach (var o in flag.CohortOverrides)
            {
                if (o.ExpiresUtcTicks > s.Now && InCohort(ref s, o.Cohort))
                {
                    if (hit is null)
                    {
                        hit = o;
                    }
                    else if (hit.Value != o.Value)
                    {
                        other = o;
                        break;
                    }
                }
            }
            if (hit is not null)
            {
                var r = other is null ? FromOverride(hit) : flag.Conflict(EvaluationReason.Override, hit.Scope, other.Scope);
                if (!monotone || r.Value)
                {
                    return r;
                }
                firstOff ??= r;
            }
        }

        if (flag.HasWorkspaceOverrides && s.Workspace?.Override(flag.Index) is { } byWorkspace && byWorkspace.ExpiresUtcTicks > s.Now)
        {
            var r = FromOverride(byWorkspace);
            if (!monotone || r.Value)
            {
                return r;
            }
            firstOff ??= r;
        }

        if (flag.Global is { } global && global.ExpiresUtcTicks > s.Now)
        {
            var r = FromOverride(global);
            if (!monotone || r.Value)
            {
                return r;
            }
            firstOff ??= r;
        }

        if (flag.StageTable.Length > 0)
        {
            var stage = StageLayer(ref s, flag);
            if (stage is { } r)
            {
                if (!monotone || r.Value)
                {
                    return r;
                }
                firstOff ??= r;
            }
        }

        var fallback = new FlagResult(flag.Default, EvaluationReason.Default, "global", "default");
        return monotone && !fallback.Value && firstOff is { } off ? off : fallback;
    }

    private static FlagResult? StageLayer(ref EvalScope s, CompiledFlag flag)
    {
        StageRule? hit = null;
        var hitAt = 0;
        foreach (var rule in flag.StageTable)
        {
            var at = -1;
            if (rule.Everyone)
            {
                at = 0;
            }
            else
            {
                for (var k = 0; k < rule.Cohorts.Length; k++)
                {
                    if (InCohort(ref s, rule.Cohorts[k]))
                    {
                        at = k;
                        break;
                    }
                }
            }
            if (at < 0)
            {
                continue;
            }
            if (hit is null)
            {
                hit = rule;
                hitAt = at;
            }
            else if (hit.Value != rule.Value)
            {
                return flag.Conflict(EvaluationReason.Stage, hit.Scopes[hitAt], rule.Scopes[at]);
            }
        }
        return hit is null ? null : new FlagResult(hit.Value, EvaluationReason.Stage, hit.Scopes[hitAt], hit.Sources[hitAt]);
    }

    private static FlagResult FromOverride(OverrideEntry o) =>
        new(o.Value, EvaluationReason.Override, o.Scope, o.Source);

    /// <summary>
    /// Whether a kill switch at <paramref name="scope"/> applies to <paramref name="context"/>: the test
    /// evaluation uses for kill-switch effects (a cohort the program lacks, or a user scope, applies to nobody).
    /// </summary>
    public static bool Applies(CompiledProgram program, Scope scope, EvaluationContext context)
    {
        var cohort = -1;
        if (scope.Kind == ScopeKind.Cohort)
        {
            for (var c = 0; c < program.Cohorts.Length && cohort < 0; c++)
            {
                cohort = string.Equals(program.Cohorts[c].Id, scope.Id, StringComparison.Ordinal) ? c : -1;
            }
            if (cohort < 0)
            {
                return false;
            }
        }
        var count = program.Cohorts.Length;
        Span<sbyte> memo = count <= StackCohorts ? stackalloc sbyte[StackCohorts] : new sbyte[count];
        var s = new EvalScope(program, context, 0, memo[..count], null, default);
        return Applies(ref s, scope.Kind, scope.Id, cohort);
    }

    private static bool Applies(ref EvalScope s, ScopeKind kind, string? scopeId, int cohort) => kind switch
    {
        ScopeKind.Global => true,
        ScopeKind.Workspace => string.Equals(scopeId, s.Context.WorkspaceId, StringComparison.Ordinal),
        _ => InCohort(ref s, cohort),
    };

    private static bool InCohort(ref EvalScope s, int cohort)
    {
        if (cohort < 0)
        {
            return false;
        }
        var known = s.CohortMemo[cohort];
        if (known != 0)
        {
            return known > 0;
        }
        var compiled = s.Program.Cohorts[cohort];
        var member = compiled.Kind switch
        {
            Definitions.CohortKind.Explicit => (s.Workspace?.InCohort(cohort) ?? false) || (s.User?.InCohort(cohort) ?? false),
            // A workspace the program knows has its percentage memberships decided at compile time.
            Definitions.CohortKind.Percentage when s.Workspace is { } workspace => workspace.InCohort(cohort),
            _ => compiled.Matches(s.Context),
        };
        s.CohortMemo[cohort] = member ? (sbyte)1 : (sbyte)-1;
        return member;
    }

    /// <summary>
    /// Marks flags whose result cannot depend on context or clock (no kill switch, no
    /// override, a stage value for everyone, constant prerequisites and emergency flag),
    /// so evaluating them is a field read.
    /// </summary>
    internal static void FoldConstants(CompiledProgram program)
    {
        var flags = program.Flags;
        var emergencySource = program.EmergencyIndex >= 0 ? "emergency:" + flags[program.EmergencyIndex].Name : "";
        foreach (var flag in flags)
        {
            flag.EmergencySource = emergencySource;
        }
        var state = new int[flags.Length]; // 0 unknown, 1 visiting, 2 constant, 3 not constant

        bool IsConstant(int i)
        {
            if (state[i] >= 2)
            {
                return state[i] == 2;
            }
            if (state[i] == 1)
            {
                return false; // a cycle cannot pass validation; be safe anyway
            }
            state[i] = 1;
            var f = flags[i];
            var own = f.KillSwitchTable.Length == 0 && !f.HasOverrides && f.StageTable.All(r => r.Everyone) && f.StageTable.Length <= 1;
            var constant = own && f.Prerequisites.All(IsConstant)
                && (program.EmergencyIndex < 0 || program.EmergencyIndex == i || IsConstant(program.EmergencyIndex));
            // A constantly-on emergency flag makes every other flag constantly safe.
            if (!constant && program.EmergencyIndex >= 0 && i != program.EmergencyIndex && IsConstant(program.EmergencyIndex)
                && Evaluate(program, program.EmergencyIndex, EvaluationContext.Empty, DateTimeOffset.MinValue).Value)
            {
                constant = true;
            }
            if (constant)
            {
                f.Constant = Evaluate(program, i, EvaluationContext.Empty, DateTimeOffset.MinValue);
            }
            state[i] = constant ? 2 : 3;
            return constant;
        }

        for (var i = 0; i < flags.Length; i++)
        {
            IsConstant(i);
        }
    }
}
