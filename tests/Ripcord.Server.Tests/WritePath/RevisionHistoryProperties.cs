using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Revisions;

namespace Ripcord.Server.Tests.WritePath;

/// <summary>
/// Revisions are stored as deltas with checkpoints now and then; every one of them must read back
/// as exactly the state the writer produced, through the real writer and a real SQLite database.
/// </summary>
public sealed class RevisionHistoryProperties : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private static string Json(ProgramState state) => JsonSerializer.Serialize(state, CoreJson.Options);

    [Property(MaxTest = 12)]
    [Invariant("RV-1", "every revision rebuilt from its nearest checkpoint and the deltas after it equals the state the writer produced")]
    public Property Every_stored_revision_reads_back_as_the_writer_produced_it() => Prop.ForAll(CommandHistory.Arbitrary, history =>
    {
        var writer = _server.Services.GetRequiredService<ProgramWriter>();
        var registry = _server.Services.GetRequiredService<ProgramRegistry>();
        var log = _server.Services.GetRequiredService<RevisionLog>();
        var actor = new Actor(new Principal("prn_prop", "property"), Role.Admin, "tok_prop");
        var written = new Dictionary<long, string>();
        var states = new List<ProgramState> { registry.Current("groups").State };
        var tag = Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < history.Steps.Count; i++)
        {
            var state = registry.Current("groups").State;
            _server.Clock.Advance(TimeSpan.FromMinutes(7));
            var command = history.CommandFor(i, state, states, _server.Clock.GetUtcNow(), tag);
            try
            {
                var result = writer.ExecuteAsync("groups", command, actor, null, CancellationToken.None).GetAwaiter().GetResult();
                written[result.Revision] = Json(result.Change.State);
                states.Add(result.Change.State);
            }
            catch (ChangeRejectedException)
            {
            }
        }
        foreach (var (revision, json) in written)
        {
            var rebuilt = log.StateAtAsync("groups", revision, CancellationToken.None).GetAwaiter().GetResult();
            if (rebuilt is null || Json(rebuilt) != json)
            {
                return false.Label($"revision {revision} reads back differently");
            }
        }
        return true.Label($"{written.Count} revisions");
    });
}
