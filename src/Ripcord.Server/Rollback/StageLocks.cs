using Ripcord.Core.Rollback;
using Ripcord.Server.Incidents;

namespace Ripcord.Server.Rollback;

/// <summary>
/// Reads rollbacks' stage locks (workflow documents of kind <c>stage-lock</c>) for what they hold: the stage
/// gate refuses an advance and guarded ramps hold while one is active. Written by <see cref="RollbackService"/>.
/// </summary>
public sealed class StageLocks(WorkflowDocs docs)
{
    public const string Active = "active";
    public const string Lifted = "lifted";

    public async Task<StageLock?> ActiveAsync(string program, CancellationToken ct) =>
        (await docs.ListAsync<StageLock>(DocKinds.StageLock, ct, program, Active, limit: 1)).FirstOrDefault();
}
