using System.Collections.Concurrent;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Programs;

/// <summary>What one change did: the next state, the result for the caller, and the audit before/after.</summary>
public sealed record ProgramChange<T>(ProgramState State, T Result, object? Before, object? After, string Summary);

public sealed record WriteOutcome<T>(T Result, long Revision);

/// <summary>The program has no such name.</summary>
public sealed class UnknownProgramException(string program) : Exception($"no program '{program}'")
{
    public string Program { get; } = program;
}

/// <summary>
/// The one write path for program configuration: read the head, check If-Match, apply a
/// pure change, store the new revision and its audit event in one transaction, publish the
/// compiled snapshot. Writes to one program are serialised in this process; across nodes
/// the store's revision check refuses a stale write.
/// </summary>
public sealed class ProgramWriter(IRevisionStore store, ProgramRegistry registry, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<WriteOutcome<T>> ChangeAsync<T>(string program, long? ifMatch, Actor actor, string action, string target,
        Func<ProgramState, DateTimeOffset, ProgramChange<T>> change, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(program, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var latest = await store.GetLatestAsync(program, ct) ?? throw new UnknownProgramException(program);
            if (ifMatch is long expected && expected != latest.Revision)
            {
                throw new RevisionConflictException(program, expected, latest.Revision);
            }
            var now = clock.GetUtcNow();
            var result = change(ProgramRegistry.Deserialize(latest.StateJson), now);
            var stored = await store.AppendAsync(
                new RevisionDraft(program, latest.Revision, now, actor.Name, result.Summary, ProgramRegistry.Serialize(result.State)),
                new AuditDraft(now, actor.Name, actor.Role, action, target, Json(result.Before), Json(result.After)), ct);
            registry.Publish(CompiledProgram.Compile(result.State, stored.Revision));
            return new WriteOutcome<T>(result.Result, stored.Revision);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Creates the program from a definition, or replaces the definition of an existing one.</summary>
    public async Task<WriteOutcome<DefinitionApplyReport>> ApplyDefinitionAsync(ProgramDefinition definition, long? ifMatch,
        Actor actor, CancellationToken ct)
    {
        var program = definition.Key;
        var gate = _locks.GetOrAdd(program, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var latest = await store.GetLatestAsync(program, ct);
            var head = latest?.Revision ?? 0;
            if (ifMatch is long expected && expected != head)
            {
                throw new RevisionConflictException(program, expected, head);
            }
            var current = latest is null ? null : ProgramRegistry.Deserialize(latest.StateJson);
            var (state, report) = ProgramChanges.ApplyDefinition(current, definition);
            var now = clock.GetUtcNow();
            var summary = latest is null ? $"created program '{program}'" : $"applied a new definition of '{program}'";
            var before = current is null ? null : new { flags = current.Definition.Flags.Length, cohorts = current.Cohorts.Length, stage = current.Stage };
            var after = new { flags = definition.Flags.Length, cohorts = definition.Cohorts.Length, stage = state.Stage, report.DroppedOverrides, report.DroppedKillSwitches };
            var stored = await store.AppendAsync(
                new RevisionDraft(program, head, now, actor.Name, summary, ProgramRegistry.Serialize(state)),
                new AuditDraft(now, actor.Name, actor.Role, "definition.apply", "program:" + program, Json(before), Json(after)), ct);
            registry.Publish(CompiledProgram.Compile(state, stored.Revision));
            return new WriteOutcome<DefinitionApplyReport>(report, stored.Revision);
        }
        finally
        {
            gate.Release();
        }
    }

    private static string? Json(object? value) => value is null ? null : JsonSerializer.Serialize(value, CoreJson.Options);
}
