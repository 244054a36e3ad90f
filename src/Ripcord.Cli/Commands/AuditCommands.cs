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
        var tail = new Option<int>("--tail", "-n") { Description = "How many of the newest entries (newest first)", DefaultValueFactory = _ => 20 };
        var since = new Option<string?>("--since") { Description = "Only entries from this long ago (30m, 4h, 2d) or this ISO-8601 time on" };
        var after = new Option<long?>("--after") { Description = "Page through the log instead: entries after this sequence number, oldest first" };
        var limit = new Option<int>("--limit") { Description = "With --after: how many entries", DefaultValueFactory = _ => 50 };

        return verbs.Group("audit", "The append-only, hash-chained audit log",
            ["ripcord audit list", "ripcord audit verify"],
            verbs.Verb("list", "List audit entries, newest first, with their reason and target (or oldest first from --after)",
                ["ripcord audit list", "ripcord audit list --tail 100 --since 2h", "ripcord audit list --after 120 --limit 20", "ripcord audit list --json"],
                async (context, ct) =>
                {
                    var page = context.Get(after) is { } from
                        ? await context.Api.ReadAuditAsync(from, context.Get(limit), ct)
                        : await context.Api.ReadLatestAuditAsync(context.Get(tail),
                            context.Get(since) is { } text ? Inputs.Since(text, "--since") : null, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(page.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("SEQ", "AT", "ACTOR", "ACTION", "TARGET", "REASON", "OUTCOME")
                        .AddRows(page.Value.Entries, e =>
                        [
                            Words.Number(e.Seq), Words.Time(e.At), $"{e.Actor} ({e.Role})", e.Action, e.Target, ReasonOf(e),
                            new Cell(e.Outcome, e.Outcome == "ok" ? Tone.Normal : Tone.Bad),
                        ]));
                    return ExitCodes.Success;
                }, tail, since, after, limit),
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

    /// <summary>The "reason" an entry's after (or before) record carries, if any: why it was done, shortened for a table.</summary>
    private static string ReasonOf(AuditEntry entry)
    {
        foreach (var json in new[] { entry.After, entry.Before })
        {
            if (json is null)
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in document.RootElement.EnumerateObject())
                    {
                        if (property.Name.Equals("reason", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
                        {
                            var reason = property.Value.GetString()!;
                            return reason.Length <= 60 ? reason : reason[..57] + "...";
                        }
                    }
                }
            }
            catch (JsonException)
            {
            }
        }
        return "";
    }
}
