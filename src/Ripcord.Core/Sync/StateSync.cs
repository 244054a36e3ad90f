using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;

namespace Ripcord.Core.Sync;

/// <summary>A full revision as sent to SDKs and kept on their disk: state, revision and digest.</summary>
public sealed record StateSnapshot(string Program, long Revision, string Digest, ProgramState State);

/// <summary>
/// What changed from one revision to the next, small enough to stream: the definition only
/// when it changed, cohorts upserted/removed by id, overrides, kill switches and tier-2 override
/// grants added/removed by id, the stage when it moved. <see cref="Digest"/> is the digest of the resulting state,
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
    [JsonIgnore]
    public ImmutableArray<OverrideGrant> GrantsAdded { get; init; } = [];
    [JsonIgnore]
    public ImmutableArray<string> GrantsRemoved { get; init; } = [];
    public string? Stage { get; init; }
    /// <summary>
    /// Ids in their new order, only when applying the changes above would order them otherwise
    /// (a definition apply or a rollback reorders; ordinary writes never do). Order is part of
    /// the digest, so a delta must reproduce it exactly.
    /// </summary>
    public ImmutableArray<string>? CohortOrder { get; init; }
    public ImmutableArray<string>? OverrideOrder { get; init; }
    public ImmutableArray<string>? KillSwitchOrder { get; init; }
    public ImmutableArray<string>? GrantOrder { get; init; }

    // Grant changes are written only when there are some, so a delta without them (every delta
    // before grants existed, most after) keeps the JSON it had: stored rows and the stream alike.
    [JsonInclude, JsonPropertyName("grantsAdded")]
    private ImmutableArray<OverrideGrant>? GrantsAddedJson
    {
        get => GrantsAdded.IsDefaultOrEmpty ? null : GrantsAdded;
        init => GrantsAdded = value is { IsDefault: false } added ? added : [];
    }

    [JsonInclude, JsonPropertyName("grantsRemoved")]
    private ImmutableArray<string>? GrantsRemovedJson
    {
        get => GrantsRemoved.IsDefaultOrEmpty ? null : GrantsRemoved;
        init => GrantsRemoved = value is { IsDefault: false } removed ? removed : [];
    }
}

public static class StateSync
{
    private static readonly ConditionalWeakTable<ProgramDefinition, byte[]> DefinitionHashes = new();
    private static readonly ConditionalWeakTable<CohortDefinition, byte[]> CohortHashes = new();
    private static readonly ConditionalWeakTable<FlagOverride, byte[]> OverrideHashes = new();
    private static readonly ConditionalWeakTable<KillSwitchActivation, byte[]> KillSwitchHashes = new();
    private static readonly ConditionalWeakTable<OverrideGrant, byte[]> GrantHashes = new();

    /// <summary>
    /// SHA-256 (hex) identifying a state by its canonical JSON (<see cref="CoreJson"/>):
    /// <c>SHA-256("ripcord-state/3\n" ‖ H(definition) ‖ "c" n H(cohort)… ‖ "o" n H(override)… ‖ "k" n H(kill switch)… [‖ "g" n H(grant)…] ‖ "s" stage)</c>,
    /// where H is SHA-256 of an item's JSON and n a list's length (4 bytes, little-endian). Items are
    /// immutable and carried from one revision to the next as the same instances, so each item's H
    /// is remembered per instance: a revision that adds one override to ten thousand serialises one
    /// override and hashes 320 KB of remembered hashes in one call, not 2 MB of JSON. Two states
    /// have the same digest exactly when their JSON is the same (invariant SY-3). The grants part is
    /// there only when the state has grants, as the state's JSON has <c>grants</c> only then: a state
    /// without grants keeps the digest it had before grants existed (stored revisions are checked against it).
    /// </summary>
    public static string Digest(ProgramState state) => Digest(state, null);

    /// <summary>
    /// <see cref="Digest(ProgramState)"/> of a state made from <paramref name="previous"/>: the item
    /// hashes kept for the previous state's lists are handed on and edited where the lists differ,
    /// so the cost is hashing what changed plus one pass of SHA-256 over 32 bytes per item.
    /// </summary>
    public static string Digest(ProgramState state, ProgramState? previous)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(DigestPrefix);
        hash.AppendData(DefinitionHash(state.Definition));
        AppendList(hash, (byte)'c', state.Cohorts, previous?.Cohorts, CohortHashes);
        AppendList(hash, (byte)'o', state.Overrides, previous?.Overrides, OverrideHashes);
        AppendList(hash, (byte)'k', state.KillSwitches, previous?.KillSwitches, KillSwitchHashes);
        if (!state.Grants.IsDefaultOrEmpty)
        {
            AppendList(hash, (byte)'g', state.Grants, previous?.Grants, GrantHashes);
        }
        hash.AppendData("s"u8);
        hash.AppendData(Encoding.UTF8.GetBytes(state.Stage));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static ReadOnlySpan<byte> DigestPrefix => "ripcord-state/3\n"u8;

    /// <summary>The 32-byte hashes of one list's items, in order, kept for that list (its array).</summary>
    private sealed class ListHashes(byte[] buffer, int count)
    {
        public byte[] Buffer = buffer;
        public int Count = count;
    }

    private static readonly ConditionalWeakTable<object, ListHashes> Lists = new();
    private static readonly Lock ListsGate = new();

    private static void AppendList<T>(IncrementalHash hash, byte tag, ImmutableArray<T> items, ImmutableArray<T>? previous,
        ConditionalWeakTable<T, byte[]> remembered) where T : class
    {
        Span<byte> header = stackalloc byte[5];
        header[0] = tag;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], items.Length);
        hash.AppendData(header);
        object array = ImmutableCollectionsMarshal.AsArray(items) ?? [];
        // Hashed under the lock: a list's buffer may be handed on to the next list, and edited there.
        lock (ListsGate)
        {
            if (!Lists.TryGetValue(array, out var own))
            {
                own = HandOn(items, previous, remembered);
                Lists.AddOrUpdate(array, own);
            }
            hash.AppendData(own.Buffer, 0, own.Count * 32);
        }
    }

    /// <summary>
    /// The hashes of <paramref name="items"/>: taken over from <paramref name="previous"/>'s when it has
    /// them (the shared prefix and suffix stay, found by reference; the middle is rewritten), else built.
    /// </summary>
    private static ListHashes HandOn<T>(ImmutableArray<T> items, ImmutableArray<T>? previous, ConditionalWeakTable<T, byte[]> remembered)
        where T : class
    {
        var prefix = 0;
        var suffix = 0;
        ListHashes? taken = null;
        if (previous is { } before && ImmutableCollectionsMarshal.AsArray(before) is { } beforeArray
            && Lists.TryGetValue(beforeArray, out taken) && taken.Count == before.Length)
        {
            Lists.Remove(beforeArray);
            (prefix, suffix) = SharedEnds.Of(before, items);
            var buffer = taken.Buffer;
            if (buffer.Length < items.Length * 32)
            {
                buffer = new byte[Math.Max(items.Length * 32, buffer.Length * 2)];
                Array.Copy(taken.Buffer, buffer, prefix * 32);
            }
            Array.Copy(taken.Buffer, (before.Length - suffix) * 32, buffer, (items.Length - suffix) * 32, suffix * 32);
            taken.Buffer = buffer;
        }
        else
        {
            taken = new ListHashes(new byte[Math.Max(64, items.Length * 32)], 0);
        }
        for (var i = prefix; i < items.Length - suffix; i++)
        {
            remembered.GetValue(items[i], static item => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(item, CoreJson.Options)))
                .CopyTo(taken.Buffer, i * 32);
        }
        taken.Count = items.Length;
        return taken;
    }

    private static byte[] DefinitionHash(ProgramDefinition definition) =>
        DefinitionHashes.GetValue(definition, static d => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(d, CoreJson.Options)));

    public static StateSnapshot Snapshot(ProgramState state, long revision) => new(state.Program, revision, Digest(state), state);

    public static StateDelta Compute(ProgramState from, long fromRevision, ProgramState to, long toRevision)
    {
        // Unchanged parts are usually the very same instances: compare by reference first, by JSON after.
        static bool SameCohort(CohortDefinition a, CohortDefinition b) => ReferenceEquals(a, b)
            || JsonSerializer.Serialize(a, CoreJson.Options) == JsonSerializer.Serialize(b, CoreJson.Options);
        var fromCohorts = from.Cohorts.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var toCohorts = to.Cohorts.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var overrides = Diff(from.Overrides, to.Overrides, static o => o.Id);
        var kills = Diff(from.KillSwitches, to.KillSwitches, static k => k.Id);
        var grants = Diff(from.Grants, to.Grants, static g => g.Id);
        return new StateDelta
        {
            Program = to.Program,
            FromRevision = fromRevision,
            ToRevision = toRevision,
            Digest = Digest(to, from),
            Definition = ReferenceEquals(from.Definition, to.Definition)
                || DefinitionHash(from.Definition).AsSpan().SequenceEqual(DefinitionHash(to.Definition)) ? null : to.Definition,
            CohortsUpserted = [.. to.Cohorts.Where(c => !fromCohorts.TryGetValue(c.Id, out var before) || !SameCohort(before, c))],
            CohortsRemoved = [.. from.Cohorts.Select(c => c.Id).Where(id => !toCohorts.Contains(id))],
            OverridesAdded = overrides.Added,
            OverridesRemoved = overrides.Removed,
            KillSwitchesAdded = kills.Added,
            KillSwitchesRemoved = kills.Removed,
            GrantsAdded = grants.Added,
            GrantsRemoved = grants.Removed,
            Stage = from.Stage == to.Stage ? null : to.Stage,
            CohortOrder = OrderIfChanged(from.Cohorts, to.Cohorts, c => c.Id, toCohorts),
            OverrideOrder = overrides.Order,
            KillSwitchOrder = kills.Order,
            GrantOrder = grants.Order,
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
    /// What was added and removed (by id) between two lists of immutable items, and the new order
    /// when applying that would not give it. The common revision adds, removes or replaces one item
    /// among thousands that are the very same instances before and after: the shared prefix and
    /// suffix are skipped by reference, and only the changed middle is compared by id.
    /// </summary>
    private static (ImmutableArray<T> Added, ImmutableArray<string> Removed, ImmutableArray<string>? Order) Diff<T>(
        ImmutableArray<T> from, ImmutableArray<T> to, Func<T, string> id) where T : class
    {
        var (prefix, suffix) = SharedEnds.Of(from, to);
        var fromMiddle = from.AsSpan(prefix, from.Length - prefix - suffix);
        var toMiddle = to.AsSpan(prefix, to.Length - prefix - suffix);
        if (fromMiddle.IsEmpty && toMiddle.IsEmpty)
        {
            return ([], [], null);
        }
        var fromIds = new HashSet<string>(fromMiddle.Length, StringComparer.Ordinal);
        foreach (var item in fromMiddle)
        {
            fromIds.Add(id(item));
        }
        var toIds = new HashSet<string>(toMiddle.Length, StringComparer.Ordinal);
        foreach (var item in toMiddle)
        {
            toIds.Add(id(item));
        }
        var added = ImmutableArray.CreateBuilder<T>();
        foreach (var item in toMiddle)
        {
            if (!fromIds.Contains(id(item)))
            {
                added.Add(item);
            }
        }
        var removed = ImmutableArray.CreateBuilder<string>();
        var kept = new List<T>(fromMiddle.Length);
        foreach (var item in fromMiddle)
        {
            if (toIds.Contains(id(item)))
            {
                kept.Add(item);
            }
            else
            {
                removed.Add(id(item));
            }
        }
        // Applying keeps what stays where it was and appends what is new after everything else:
        // after the shared prefix that is kept ‖ suffix ‖ added, which must read as the new middle ‖ suffix.
        var natural = kept.Concat(from.Skip(from.Length - suffix)).Concat(added);
        var actual = to.Skip(prefix);
        var sameOrder = natural.Count() == to.Length - prefix
            && natural.Zip(actual).All(p => ReferenceEquals(p.First, p.Second) || string.Equals(id(p.First), id(p.Second), StringComparison.Ordinal));
        return (added.ToImmutable(), removed.ToImmutable(), sameOrder ? null : [.. to.Select(id)]);
    }

    /// <summary>
    /// Applies a delta to the state it was computed from. Returns null when the result's
    /// digest is not the delta's — the caller then re-hydrates from a full snapshot.
    /// </summary>
    public static ProgramState? Apply(ProgramState previous, StateDelta delta)
    {
        var state = ApplyUnverified(previous, delta);
        return state is not null && Digest(state, previous) == delta.Digest ? state : null;
    }

    /// <summary>
    /// Applies a delta without checking the digest: for replaying a stored chain of deltas,
    /// where only the last state's digest needs checking. Null when the delta cannot apply
    /// (its order lists name ids the result does not have).
    /// </summary>
    public static ProgramState? ApplyUnverified(ProgramState previous, StateDelta delta) => ApplyUnverified(previous, delta, overrides: true);

    /// <summary>As <see cref="ApplyUnverified(ProgramState, StateDelta)"/>; with <paramref name="overrides"/> false the overrides are left to the caller.</summary>
    internal static ProgramState? ApplyUnverified(ProgramState previous, StateDelta delta, bool overrides)
    {
        var removedCohorts = delta.CohortsRemoved.ToHashSet(StringComparer.Ordinal);
        var upserted = delta.CohortsUpserted.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var cohorts = previous.Cohorts.Where(c => !removedCohorts.Contains(c.Id))
            .Select(c => upserted.Remove(c.Id, out var replaced) ? replaced : c)
            .Concat(delta.CohortsUpserted.Where(c => upserted.ContainsKey(c.Id)));
        var removedKills = delta.KillSwitchesRemoved.ToHashSet(StringComparer.Ordinal);
        ImmutableArray<CohortDefinition> cohortList = [.. cohorts];
        var overrideList = previous.Overrides;
        if (overrides)
        {
            // The usual delta only appends: one copy of the list, not a filtered rebuild of it.
            var removedOverrides = delta.OverridesRemoved.ToHashSet(StringComparer.Ordinal);
            overrideList = removedOverrides.Count == 0
                ? overrideList.AddRange(delta.OverridesAdded)
                : [.. overrideList.Where(o => !removedOverrides.Contains(o.Id)), .. delta.OverridesAdded];
        }
        ImmutableArray<KillSwitchActivation> kills = [.. previous.KillSwitches.Where(k => !removedKills.Contains(k.Id)), .. delta.KillSwitchesAdded];
        var grants = previous.Grants;
        if (!delta.GrantsRemoved.IsDefaultOrEmpty || !delta.GrantsAdded.IsDefaultOrEmpty)
        {
            var removedGrants = delta.GrantsRemoved.IsDefault ? [] : delta.GrantsRemoved.ToHashSet(StringComparer.Ordinal);
            grants = [.. previous.Grants.Where(g => !removedGrants.Contains(g.Id)), .. delta.GrantsAdded.IsDefault ? ImmutableArray<OverrideGrant>.Empty : delta.GrantsAdded];
        }
        if (!Reorder(ref cohortList, delta.CohortOrder, c => c.Id)
            || (overrides && !Reorder(ref overrideList, delta.OverrideOrder, o => o.Id))
            || !Reorder(ref kills, delta.KillSwitchOrder, k => k.Id)
            || !Reorder(ref grants, delta.GrantOrder, g => g.Id))
        {
            return null;
        }
        return previous with
        {
            Definition = delta.Definition ?? previous.Definition,
            Cohorts = cohortList,
            Overrides = overrideList,
            KillSwitches = kills,
            Grants = grants,
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
