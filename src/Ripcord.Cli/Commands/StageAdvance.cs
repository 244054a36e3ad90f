using System.Text.Json;
using Ripcord.Cli.Api;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Gates;
using Ripcord.Server.Stages;

namespace Ripcord.Cli.Commands;

/// <summary>
/// <c>ripcord stage advance</c>: prints the gate checklist (✓/✗, figure, threshold, evidence). Exit 0 when
/// allowed (and, without --dry-run, done); 7 (refused) when any criterion failed, dry run or not.
/// </summary>
public static class StageAdvance
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(VerbContext context, string to, bool dryRun, CancellationToken ct)
    {
        AdvanceView view;
        string raw;
        try
        {
            var response = await context.Api.AdvanceStageAsync(context.Program, to, dryRun, ct);
            (view, raw) = (response.Value, response.Raw);
        }
        catch (RipcordApiException refused) when (refused.Status == 422 && refused.ProblemJson is { } problem && problem.Contains("\"criteria\"", StringComparison.Ordinal))
        {
            // The refusal carries the same checklist as a dry run.
            var checklist = JsonSerializer.Deserialize<RefusedChecklist>(problem, Web)!;
            view = new AdvanceView(context.Program, checklist.From, checklist.Target, false, false, checklist.Criteria, checklist.Failing, 0, null, null);
            raw = problem;
        }
        if (context.Json)
        {
            context.Terminal.Json(raw);
        }
        else
        {
            Print(context.Terminal, view);
        }
        return view.Allowed ? ExitCodes.Success : ExitCodes.Refused;
    }

    private sealed record RefusedChecklist(string From, string Target, IReadOnlyList<GateCriterion> Criteria, IReadOnlyList<string> Failing);

    private static void Print(Terminal terminal, AdvanceView v)
    {
        terminal.Line($"Stage {v.From} → {v.Target} of {v.Program}{(v.DryRun ? " (dry run)" : "")}:");
        terminal.Table(new TableView("", "CRITERION", "KIND", "FIGURE", "THRESHOLD", "EVIDENCE").AddRows(v.Criteria, c =>
            [new Cell(c.Passed ? "✓" : "✗", c.Passed ? Tone.Good : Tone.Bad), c.Name, c.Kind == CriterionKind.Entry ? "entry" : "exit", c.Figure, c.Threshold,
                c.Evidence]));
        if (!v.Allowed)
        {
            terminal.Line($"Refused: {string.Join(", ", v.Failing)} did not pass.");
        }
        else if (v.DryRun)
        {
            terminal.Line($"Every criterion passed: ripcord stage advance --to {v.Target} would move the stage.");
        }
        else
        {
            terminal.Line($"Advanced to stage {v.Target}, revision {v.Revision}; revision {v.KnownSafe} is known-safe.");
        }
    }
}
