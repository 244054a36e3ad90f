using System.Text.Json.Serialization;
using System.Collections.Immutable;

namespace Ripcord.Core.Incidents;

[JsonConverter(typeof(StrictEnumConverter<VerificationStatus>))]
public enum VerificationStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("verified")] Verified,
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>An SDK instance as verification sees it: the newest revision it reported applied, and whether it is still connected.</summary>
public sealed record InstanceReport(string Instance, long? AppliedRevision, bool Connected);

/// <summary>An operation event made, in the activation's scope, under a revision that contains the activation: the kill switch did not stop it.</summary>
public sealed record Violation(string Instance, string Operation, string EventType, long Revision, DateTimeOffset At, string? Workspace);

/// <summary>
/// Where a kill switch's verification stands (SPEC §5, seed §12). <see cref="Total"/> counts the
/// instances connected when it was applied; <see cref="Applied"/> those that reported its revision;
/// <see cref="Unreachable"/> those that disconnected before reporting (never counted as applied);
/// <see cref="Stragglers"/> those still connected that have not reported.
/// </summary>
public sealed record VerificationResult(
    VerificationStatus Status,
    long Revision,
    int Applied,
    int Total,
    ImmutableArray<string> Stragglers,
    ImmutableArray<string> Unreachable,
    ImmutableArray<Violation> Violations,
    DateTimeOffset Deadline,
    DateTimeOffset? DecidedAt)
{
    /// <summary>Declared → verified for the activation's incident, once verified (the server fills it in: it knows the incident).</summary>
    public double? TimeToMitigateMs { get; init; }

    public ImmutableArray<string> Describe()
    {
        var lines = ImmutableArray.CreateBuilder<string>();
        lines.Add($"{Applied} of {Total} connected instances applied revision {Revision}");
        if (!Unreachable.IsEmpty)
        {
            lines.Add($"{Unreachable.Length} disconnected before reporting (unreachable, not counted as applied): {Sample(Unreachable)}");
        }
        if (!Stragglers.IsEmpty)
        {
            lines.Add($"{Stragglers.Length} connected but not at the revision: {Sample(Stragglers)}");
        }
        if (!Violations.IsEmpty)
        {
            lines.Add($"{Violations.Length} disabled operations still made under the revision, e.g. {Violations[0].Operation} by {Violations[0].Instance}");
        }
        return lines.ToImmutable();
    }

    private static string Sample(ImmutableArray<string> ids) =>
        string.Join(", ", ids.Take(5)) + (ids.Length > 5 ? $" and {ids.Length - 5} more" : "");
}

/// <summary>
/// Decides a verification, purely: passed when every instance connected at activation has reported
/// the revision and no violation was seen; failed at the deadline otherwise (or at once on a
/// violation) — never passed silently. Instances that are not connected (dropped off, or not yet
/// back after a server restart) are listed apart as unreachable, never counted as applied: one that
/// reconnects gets the newest revision first and reports it, and the verification can still pass.
/// </summary>
public static class KillSwitchVerification
{
    public static VerificationResult Evaluate(long revision, IReadOnlyCollection<string> atActivation, IReadOnlyDictionary<string, InstanceReport> now,
        IReadOnlyList<Violation> violations, DateTimeOffset deadline, DateTimeOffset at)
    {
        var applied = 0;
        var stragglers = ImmutableArray.CreateBuilder<string>();
        var unreachable = ImmutableArray.CreateBuilder<string>();
        foreach (var instance in atActivation.Order(StringComparer.Ordinal))
        {
            var report = now.GetValueOrDefault(instance);
            if (report?.AppliedRevision >= revision)
            {
                applied++;
            }
            else if (report is null || !report.Connected)
            {
                unreachable.Add(instance);
            }
            else
            {
                stragglers.Add(instance);
            }
        }
        var status = violations.Count > 0 ? VerificationStatus.Failed
            : stragglers.Count == 0 && unreachable.Count == 0 ? VerificationStatus.Verified
            : at >= deadline ? VerificationStatus.Failed
            : VerificationStatus.Pending;
        return new VerificationResult(status, revision, applied, atActivation.Count, stragglers.ToImmutable(), unreachable.ToImmutable(),
            [.. violations], deadline, status == VerificationStatus.Pending ? null : at);
    }
}
