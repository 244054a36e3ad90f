using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;

namespace Ripcord.Core.Sync;

/// <summary>A full revision as sent to SDKs and kept on their disk: state, revision and digest.</summary>
public sealed record StateSnapshot(string Program, long Revision, string Digest, ProgramState State);

/// <summary>
/// What changed from one revision to the next, small enough to stream: the definition only
/// when it changed, cohorts upserted/removed by id, overrides and kill switches added/removed
/// by id, the stage when it moved. <see cref="Digest"/> is the digest of the resulting state,
/// so a client that applies a delta can prove it holds exactly the server's revision.
/// </summary>
public sealed record StateDelta
{
    public required string Program { get; init; }
    public required long FromRevision { get; init; }
    public required long ToRevision { get; init; }
    public required string Digest { get; init; }
    public ProgramDefinition? Definition { get; init; }
    public ImmutableArray<CohortDefinition> CohortsUpserted { get; init; } = [];
    public ImmutableArray<string> CohortsRemoved { get; init; } = [];
    public ImmutableArray<FlagOverride> OverridesAdded { get; init; } = [];
    public ImmutableArray<string> OverridesRemoved { get; init; } = [];
    public ImmutableArray<KillSwitchActivation> KillSwitchesAdded { get; init; } = [];
    public ImmutableArray<string> KillSwitchesRemoved { get; init; } = [];
    public string? Stage { get; init; }
    /// <summary>
    /// Ids in their new order, only when applying the changes above would order them otherwise
    /// (a definition apply or a rollback reorders; ordinary writes never do). Order is part of
    /// the digest, so a delta must reproduce it exactly.
    /// </summary>
    public ImmutableArray<string>? CohortOrder { get; init; }
    public ImmutableArray<string>? OverrideOrder { get; init; }
    public ImmutableArray<string>? KillSwitchOrder { get; init; }
}

public static class StateSync
{
    private static readonly ConditionalWeakTable<ProgramDefinition, byte[]> DefinitionHashes = new();

    /// <summary>
    /// SHA-256 (hex) over the state's canonical JSON (<see cref="CoreJson"/>), in two parts:
    /// <c>SHA-256("ripcord-state/2\n" ‖ SHA-256(definition JSON) ‖ JSON of the live parts)</c>.
    /// The definition is most of a state and rarely changes, so its hash is remembered per
    /// definition instance: a client applying a delta that leaves the definition alone re-hashes
    /// only the cohorts, overrides, stage and kill switches.
    /// </summary>
    public static string Digest(ProgramState state)
    {
        var definition = DefinitionHash(state.Definition);
        var live = JsonSerializer.SerializeToUtf8Bytes(
            new LiveParts(state.Cohorts, state.Overrides, state.Stage, state.KillSwitches), CoreJson.Options);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(DigestPrefix);
        hash.AppendData(definition);
        hash.AppendData(live);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static ReadOnlySpan<byte> DigestPrefix => "ripcord-state/2\n"u8;

    private static byte[] DefinitionHash(ProgramDefinition definition) =>
        DefinitionHashes.GetValue(definition, static d => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(d, CoreJson.Options)));

    private sealed record LiveParts(
        ImmutableArray<CohortDefinition> Cohorts,
        ImmutableArray<FlagOverride> Overrides,
        string Stage,
        ImmutableArray<KillSwitchActivation> KillSwitches);

    public static StateSnapshot Snapshot(ProgramState state, long revision) => new(state.Program, revision, Digest(state), state);

    public static StateDelta Compute(ProgramState from, long fromRevision, ProgramState to, long toRevision)
    {
        // Unchanged parts are usually the very same instances: compare by reference first, by JSON after.
        static bool SameCohort(CohortDefinition a, CohortDefinition b) => ReferenceEquals(a, b)
            || JsonSerializer.Serialize(a, CoreJson.Options) == JsonSerializer.Serialize(b, CoreJson.Options);
        var fromCohorts = from.Cohorts.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var toCohorts = to.Cohorts.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var fromOverrides = from.Overrides.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var toOverrides = to.Overrides.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var fromKills = from.KillSwitches.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var toKills = to.KillSwitches.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        return new StateDelta
        {
            Program = to.Program,
            FromRevision = fromRevision,
            ToRevision = toRevision,
            Digest = Digest(to),
            Definition = ReferenceEquals(from.Definition, to.Definition)
                || DefinitionHash(from.Definition).AsSpan().SequenceEqual(DefinitionHash(to.Definition)) ? null : to.Definition,
            CohortsUpserted = [.. to.Cohorts.Where(c => !fromCohorts.TryGetValue(c.Id, out var before) || !SameCohort(before, c))],
            CohortsRemoved = [.. from.Cohorts.Select(c => c.Id).Where(id => !toCohorts.Contains(id))],
            OverridesAdded = [.. to.Overrides.Where(o => !fromOverrides.Contains(o.Id))],
            OverridesRemoved = [.. from.Overrides.Select(o => o.Id).Where(id => !toOverrides.Contains(id))],
            KillSwitchesAdded = [.. to.KillSwitches.Where(k => !fromKills.Contains(k.Id))],
            KillSwitchesRemoved = [.. from.KillSwitches.Select(k => k.Id).Where(id => !toKills.Contains(id))],
            Stage = from.Stage == to.Stage ? null : to.Stage,
            CohortOrder = OrderIfChanged(from.Cohorts, to.Cohorts, c => c.Id, toCohorts),
            OverrideOrder = OrderIfChanged(from.Overrides, to.Overrides, o => o.Id, toOverrides),
            KillSwitchOrder = OrderIfChanged(from.KillSwitches, to.KillSwitches, k => k.Id, toKills),
        };
    }

    /// <summary>
    /// The ids of <paramref name="to"/> when applying a delta would not already give that order:
    /// what is kept stays where it was, what is new follows in <paramref name="to"/>'s order.
    /// </summary>
    private static ImmutableArray<string>? OrderIfChanged<T>(ImmutableArray<T> from, ImmutableArray<T> to, Func<T, string> id, HashSet<string> toIds)
    {
        var fromIds = new HashSet<string>(from.Length, StringComparer.Ordinal);
        var i = 0;
        foreach (var item in from)
        {
            var key = id(item);
            fromIds.Add(key);
            if (!toIds.Contains(key))
            {
                continue;
            }
            if (i >= to.Length || !string.Equals(id(to[i]), key, StringComparison.Ordinal))
            {
                return [.. to.Select(id)];
            }
            i++;
        }
        for (; i < to.Length; i++)
        {
            if (fromIds.Contains(id(to[i])))
            {
                return [.. to.Select(id)];
            }
        }
        return null;
    }

    /// <summary>
    /// Applies a delta to the state it was computed from. Returns null when the result's
    /// digest is not the delta's — the caller then re-hydrates from a full snapshot.
    /// </summary>
    public static ProgramState? Apply(ProgramState previous, StateDelta delta)
    {
        var state = ApplyUnverified(previous, delta);
        return state is not null && Digest(state) == delta.Digest ? state : null;
    }

    /// <summary>
    /// Applies a delta without checking the digest: for replaying a stored chain of deltas,
    /// where only the last state's digest needs checking. Null when the delta cannot apply
    /// (its order lists name ids the result does not have).
    /// </summary>
    public static ProgramState? ApplyUnverified(ProgramState previous, StateDelta delta)
    {
        var removedCohorts = delta.CohortsRemoved.ToHashSet(StringComparer.Ordinal);
        var upserted = delta.CohortsUpserted.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var cohorts = previous.Cohorts.Where(c => !removedCohorts.Contains(c.Id))
            .Select(c => upserted.Remove(c.Id, out var replaced) ? replaced : c)
            .Concat(delta.CohortsUpserted.Where(c => upserted.ContainsKey(c.Id)));
        var removedOverrides = delta.OverridesRemoved.ToHashSet(StringComparer.Ordinal);
        var removedKills = delta.KillSwitchesRemoved.ToHashSet(StringComparer.Ordinal);
        ImmutableArray<CohortDefinition> cohortList = [.. cohorts];
        ImmutableArray<FlagOverride> overrides = [.. previous.Overrides.Where(o => !removedOverrides.Contains(o.Id)), .. delta.OverridesAdded];
        ImmutableArray<KillSwitchActivation> kills = [.. previous.KillSwitches.Where(k => !removedKills.Contains(k.Id)), .. delta.KillSwitchesAdded];
        if (!Reorder(ref cohortList, delta.CohortOrder, c => c.Id)
            || !Reorder(ref overrides, delta.OverrideOrder, o => o.Id)
            || !Reorder(ref kills, delta.KillSwitchOrder, k => k.Id))
        {
            return null;
        }
        return previous with
        {
            Definition = delta.Definition ?? previous.Definition,
            Cohorts = cohortList,
            Overrides = overrides,
            KillSwitches = kills,
            Stage = delta.Stage ?? previous.Stage,
        };
    }

    private static bool Reorder<T>(ref ImmutableArray<T> items, ImmutableArray<string>? order, Func<T, string> id)
    {
        if (order is not { } ids)
        {
            return true;
        }
        if (ids.Length != items.Length)
        {
            return false;
        }
        var byId = new Dictionary<string, T>(items.Length, StringComparer.Ordinal);
        foreach (var item in items)
        {
            byId[id(item)] = item;
        }
        var builder = ImmutableArray.CreateBuilder<T>(ids.Length);
        foreach (var key in ids)
        {
            if (!byId.Remove(key, out var item))
            {
                return false;
            }
            builder.Add(item);
        }
        items = builder.MoveToImmutable();
        return true;
    }
}
