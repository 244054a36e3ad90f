using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Revisions;

/// <summary>
/// Reads program states back from stored revisions: the nearest checkpoint at or before the one
/// wanted, then the deltas after it (<see cref="RevisionReplay"/>). Used to load a program at
/// start, to catch up with revisions another node wrote, and to answer GET …/revisions/{n}.
/// </summary>
public sealed class RevisionLog(IRevisionStore store)
{
    public static ProgramState DeserializeState(string json) =>
        JsonSerializer.Deserialize<ProgramState>(json, CoreJson.Options) ?? throw new InvalidDataException("stored program state is empty");

    public static string SerializeState(ProgramState state) => JsonSerializer.Serialize(state, CoreJson.Options);

    public static StateDelta DeserializeDelta(string json) =>
        JsonSerializer.Deserialize<StateDelta>(json, CoreJson.Options) ?? throw new InvalidDataException("stored revision delta is empty");

    public static string SerializeDelta(StateDelta delta) => JsonSerializer.Serialize(delta, CoreJson.Options);

    /// <summary>
    /// The state at <paramref name="revision"/>. When <paramref name="known"/> (a state already held,
    /// e.g. in memory) is at or before it and no checkpoint lies between, replay starts there instead
    /// of re-reading a checkpoint. Null when the program has no such revision.
    /// </summary>
    public async Task<ProgramState?> StateAtAsync(string program, long revision, CancellationToken ct,
        (ProgramState State, long Revision)? known = null, WriteSession? session = null)
    {
        if (known is { } k && k.Revision == revision)
        {
            return k.State;
        }
        var checkpoint = await store.CheckpointAsync(program, revision, ct, session);
        ProgramState start;
        long from;
        if (known is { } held && held.Revision < revision && (checkpoint is null || checkpoint.Revision <= held.Revision))
        {
            (start, from) = (held.State, held.Revision);
        }
        else if (checkpoint is not null)
        {
            (start, from) = (DeserializeState(checkpoint.StateJson!), checkpoint.Revision);
        }
        else
        {
            return null;
        }
        var chain = await store.ChainAsync(program, from, revision, ct, session);
        if ((chain.Count == 0 ? from : chain[^1].Revision) != revision)
        {
            return null;
        }
        return RevisionReplay.Rebuild(start, from, chain.Select(r => DeserializeDelta(r.DeltaJson
            ?? throw new InvalidDataException($"revision {r.Revision} of '{program}' has neither a delta nor a state"))));
    }
}
