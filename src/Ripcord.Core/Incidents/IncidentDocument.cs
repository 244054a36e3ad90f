using System.Globalization;
using System.Text;
using Ripcord.Core.Rollback;

namespace Ripcord.Core.Incidents;

/// <summary>
/// An incident's timeline as a markdown document (seed §13 "document incident timeline and findings"): the
/// definition's <c>post-incident</c> template rendered as its summary, then what was declared, each action with
/// who and when, time-to-mitigate, the rollback runs and their verification, and the action items still open.
/// Pure: the caller renders the template and passes it in. The section headings are fixed English for now.
/// </summary>
public static class IncidentDocument
{
    public static string Render(Incident incident, string? summary, IReadOnlyList<RollbackRun> rollbacks, DateTimeOffset now)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Incident {incident.Id} — {incident.Program}\n\n");
        if (!string.IsNullOrWhiteSpace(summary))
        {
            md.Append(summary.TrimEnd()).Append("\n\n");
        }
        md.Append("## Declared\n\n");
        md.Append(CultureInfo.InvariantCulture, $"- class {incident.Class}, severity {Lower(incident.Severity.ToString())}, trigger {incident.Trigger}\n");
        md.Append(CultureInfo.InvariantCulture, $"- declared {Time(incident.DeclaredAt)} by {incident.DeclaredBy}\n");
        md.Append(CultureInfo.InvariantCulture, $"- affected: {(incident.Affected.IsEmpty ? "the whole program" : string.Join(", ", incident.Affected))}\n");
        md.Append(CultureInfo.InvariantCulture, $"- status: {IncidentWorkflow.Name(incident.Status)}\n\n");
        md.Append("## Time to mitigate\n\n");
        md.Append(incident.TimeToMitigate is { } ttm
            ? string.Create(CultureInfo.InvariantCulture, $"{Span(ttm)} (declared {Time(incident.DeclaredAt)}, mitigation verified {Time(incident.MitigatedAt!.Value)})\n\n")
            : "not mitigated yet\n\n");
        md.Append("## Timeline\n\n| When (UTC) | What | Who | Entry |\n| --- | --- | --- | --- |\n");
        foreach (var e in incident.Timeline)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {Time(e.At)} | {e.Kind} | {Cell(e.By)} | {Cell(e.Text)} |\n");
        }
        md.Append('\n');
        if (rollbacks.Count > 0)
        {
            md.Append("## Rollbacks and verification\n\n");
            foreach (var run in rollbacks)
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"- {run.Id}: to revision {run.TargetRevision} (from {run.FromRevision}) by {run.StartedBy}, {RollbackMachine.Name(run.Status)}");
                md.Append(run.Revision is { } r ? string.Create(CultureInfo.InvariantCulture, $"; reverted as revision {r}") : "");
                if (run.FailedStep is { } failed)
                {
                    md.Append(CultureInfo.InvariantCulture, $"; stopped at {RollbackMachine.Name(failed)}: {run.Error}");
                }
                md.Append('\n');
                if (run.Verification is { } v)
                {
                    md.Append(CultureInfo.InvariantCulture,
                        $"  - verification {(v.Passed ? "passed" : "failed")}: evaluation {(v.EvaluationEqual ? "equals" : "differs from")} the target's over {v.Contexts} contexts × {v.Flags} flags; {v.InstancesApplied} of {v.InstancesTotal} connected SDK instances applied the revision\n");
                }
            }
            md.Append('\n');
        }
        md.Append("## Open action items\n\n");
        var open = incident.Actions.Where(a => a.Open).ToList();
        if (open.Count == 0)
        {
            md.Append("none\n");
        }
        foreach (var a in open)
        {
            md.Append(CultureInfo.InvariantCulture, $"- [ ] {a.Id}: {a.Text}{(a.Owner is null ? "" : $" (owner {a.Owner})")}\n");
        }
        md.Append(CultureInfo.InvariantCulture, $"\n_Generated {Time(now)}._\n");
        return md.ToString();
    }

    private static string Lower(string s) => s.ToLowerInvariant();

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Span(TimeSpan t) => t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", " ", StringComparison.Ordinal)
        .Replace("\n", " ", StringComparison.Ordinal);
}
