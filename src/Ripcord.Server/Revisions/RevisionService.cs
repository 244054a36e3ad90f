using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Audit;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Revisions;

/// <summary>
/// What the API and the dashboard do with revisions beyond listing them: the difference between any two, in words
/// (<see cref="StateDiff"/>), and a release manager's known-safe tag with its audit row in one transaction.
/// </summary>
public sealed class RevisionService(ProgramRegistry registry, RevisionLog log, KnownSafeStore knownSafe, Databases databases, IAuditLog audit,
    TimeProvider clock)
{
    public const int MaxReasonLength = 1000;

    /// <summary>What changed from revision <paramref name="from"/> to <paramref name="to"/>, flag by flag and scope by scope.</summary>
    public async Task<RevisionDiff> DiffAsync(string program, long from, long to, CancellationToken ct)
    {
        var head = registry.Current(program);
        var before = await StateAsync(program, head, from, ct);
        var after = await StateAsync(program, head, to, ct);
        return new RevisionDiff(program, from, to, StateDiff.Between(before, after));
    }

    /// <summary>Tags <paramref name="revision"/> known-safe by hand, with a reason; a revision already tagged is a conflict (the first tag stands).</summary>
    public async Task<KnownSafeRevision> TagKnownSafeAsync(string program, long revision, string? reason, Actor actor, CancellationToken ct)
    {
        var head = registry.Current(program);
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength)
        {
            // Checked after the revision, as the API always did: an unknown revision is a 404 whatever the body says.
            await StateAsync(program, head, revision, ct);
            throw new ChangeRejectedException(ChangeError.Invalid, "reason",
                $"reason is required (at most {MaxReasonLength} characters): why the revision is known to be safe");
        }
        var state = await StateAsync(program, head, revision, ct);
        var now = SqlDatabase.Storable(clock.GetUtcNow());
        var tag = new KnownSafeRevision(revision, KnownSafeRevision.Manual, state.Stage, reason, null, now, actor.Name);
        await using var session = await databases.Config.BeginWriteAsync(ct);
        if (!await knownSafe.TagKnownSafeAsync(session, program, tag, ct))
        {
            throw new ChangeRejectedException(ChangeError.Conflict, "revision", $"revision {revision} of '{program}' already is known-safe");
        }
        await audit.AppendAsync(session, new AuditDraft(now, actor.Principal.Id, actor.Name, actor.Role.Name, AuditAction.KnownSafeTag,
            $"revision:{program}/{revision}", null, JsonSerializer.Serialize(tag, CoreJson.Options)), ct);
        await session.CommitAsync(ct);
        return tag;
    }

    private async Task<ProgramState> StateAsync(string program, CompiledProgram head, long revision, CancellationToken ct)
    {
        if (revision < 1 || revision > head.Revision)
        {
            throw new ChangeRejectedException(ChangeError.NotFound, "revision",
                $"program '{program}' has no revision {revision} (its revisions are 1 to {head.Revision})");
        }
        return await log.StateAtAsync(program, revision, ct, head.Revision == revision ? (head.State, head.Revision) : null)
            ?? throw new InvalidDataException($"revision {revision} of '{program}' could not be rebuilt");
    }
}
