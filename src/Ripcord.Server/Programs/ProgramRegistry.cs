using System.Collections.Concurrent;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Programs;

/// <summary>
/// Every program's current revision, compiled for evaluation. Reads never touch storage;
/// writes publish the new snapshot here, and a background refresh picks up revisions
/// written by other nodes sharing the same PostgreSQL.
/// </summary>
public sealed class ProgramRegistry(IRevisionStore store)
{
    private readonly ConcurrentDictionary<string, CompiledProgram> _programs = new(StringComparer.Ordinal);

    /// <summary>Raised after a newer revision of a program is published (for streaming to SDKs).</summary>
    public event Action<CompiledProgram>? Published;

    public IEnumerable<CompiledProgram> All => _programs.Values.OrderBy(p => p.Program, StringComparer.Ordinal);

    public bool TryGet(string program, out CompiledProgram compiled) => _programs.TryGetValue(program, out compiled!);

    public static ProgramState Deserialize(string json) =>
        JsonSerializer.Deserialize<ProgramState>(json, CoreJson.Options)
        ?? throw new InvalidDataException("stored program state is empty");

    public static string Serialize(ProgramState state) => JsonSerializer.Serialize(state, CoreJson.Options);

    public void Publish(CompiledProgram compiled)
    {
        var published = _programs.AddOrUpdate(compiled.Program, compiled,
            (_, existing) => existing.Revision >= compiled.Revision ? existing : compiled);
        if (ReferenceEquals(published, compiled))
        {
            Published?.Invoke(compiled);
        }
    }

    /// <summary>Loads any program whose stored head is newer than what is in memory.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        foreach (var (program, head) in await store.HeadsAsync(ct))
        {
            if (_programs.TryGetValue(program, out var current) && current.Revision >= head)
            {
                continue;
            }
            var latest = await store.GetLatestAsync(program, ct);
            if (latest is not null)
            {
                Publish(CompiledProgram.Compile(Deserialize(latest.StateJson), latest.Revision));
            }
        }
    }
}
