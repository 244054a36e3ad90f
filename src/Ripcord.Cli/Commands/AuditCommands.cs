using System.CommandLine;
using System.Text.Json;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Audit;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord audit</c>: the append-only, hash-chained record of every change and denial.</summary>
public static class AuditCommands
{
    private const int VerifyPageSize = 1000;

    public static Command Create(VerbFactory verbs)
    {
        var limit = new Option<int>("--limit") { Description = "How many entries", DefaultValueFactory = _ => 50 };
        var after = new Option<long>("--after") { Description = "Entries after this sequence number", DefaultValueFactory = _ => 0 };

        return verbs.Group("audit", "The append-only, hash-chained audit log",
            ["ripcord audit list", "ripcord audit verify"],
            verbs.Verb("list", "List audit entries, oldest first",
                ["ripcord audit list", "ripcord audit list --after 120 --limit 20", "ripcord audit list --json"],
                async (context, ct) =>
                {
                    var page = await context.Api.ReadAuditAsync(context.Get(after), context.Get(limit), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(page.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("SEQ", "AT", "ACTOR", "ROLE", "ACTION", "TARGET", "OUTCOME")
                        .AddRows(page.Value.Entries, e =>
                        [
                            Words.Number(e.Seq), Words.Time(e.At), e.Actor, e.Role, e.Action, e.Target,
                            new Cell(e.Outcome, e.Outcome == "ok" ? Tone.Normal : Tone.Bad),
                        ]));
                    return ExitCodes.Success;
                }, limit, after),
            verbs.Verb("verify", "Fetch the whole log and check every hash link here, on this machine; exit 1 at the first broken link",
                ["ripcord audit verify", "ripcord audit verify --json"],
                async (context, ct) =>
                {
                    var verification = await context.Terminal.StatusAsync("Fetching the audit log…", status => VerifyAsync(context, status, ct));
                    if (context.Json)
                    {
                        context.Terminal.Line(JsonSerializer.Serialize(verification, JsonSerializerOptions.Web));
                    }
                    else if (verification.Ok)
                    {
                        context.Terminal.Line($"Audit chain intact: {verification.Checked} entries verified.");
                    }
                    else
                    {
                        context.Terminal.Note(
                            $"Audit chain BROKEN at entry {verification.FirstBrokenSeq}: {verification.Problem} ({verification.Checked} entries before it verified).");
                    }
                    return verification.Ok ? ExitCodes.Success : ExitCodes.CheckFailed;
                }));
    }

    /// <summary>Walks the log page by page from the genesis hash, stopping at the first broken link.</summary>
    private static async Task<AuditVerification> VerifyAsync(VerbContext context, Action<string> status, CancellationToken ct)
    {
        var verification = new AuditVerification(true, 0, null, null, AuditChain.Genesis);
        long cursor = 0;
        while (true)
        {
            var entries = (await context.Api.ReadAuditAsync(cursor, VerifyPageSize, ct)).Value.Entries;
            if (entries.Count == 0)
            {
                return verification;
            }
            verification = AuditChain.Verify(entries, verification.LastHash, verification.Checked);
            if (!verification.Ok)
            {
                return verification;
            }
            status($"Verified {verification.Checked} entries…");
            cursor = entries[^1].Seq;
        }
    }
}
