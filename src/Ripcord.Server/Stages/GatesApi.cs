using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Gates;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Stages;

/// <summary>A CI check result: <c>kind</c> quality|interop, the target <c>stage</c>, a <c>cohort</c> or a <c>scope</c>, <c>status</c>, an http(s) <c>evidence</c> URL and the <c>commit</c>.</summary>
public sealed record CheckBody(string? Kind, JsonElement Stage, string? Cohort, string? Scope, string? Status, string? Evidence, string? Commit);

/// <summary>A security sign-off: mission <c>tier</c> may be enabled at <c>stage</c>, and why.</summary>
public sealed record SignoffBody(int? Tier, JsonElement Stage, string? Reason);

/// <summary>The operator support load of one UTC day (<c>period</c>, default today): tickets per day.</summary>
public sealed record SupportLoadBody(string? Period, decimal? TicketsPerDay);

/// <summary>Advance to stage <c>to</c>; <c>dryRun</c> only evaluates.</summary>
public sealed record AdvanceBody(JsonElement To, bool DryRun = false);

/// <summary>The checklist of a stage move (SPEC §3); <c>revision</c> and <c>knownSafe</c> are set when the advance was made.</summary>
public sealed record AdvanceView(string Program, string From, string Target, bool Allowed, bool DryRun, IReadOnlyList<GateCriterion> Criteria,
    IReadOnlyList<string> Failing, long EvaluatedRevision, long? Revision, long? KnownSafe);

/// <summary>
/// Stage gates: the checks API for CI, security sign-offs, operator support load, and
/// <c>POST …/stage/advance</c>, which moves a stage only when every entry and exit criterion passed.
/// </summary>
public static partial class GatesApi
{
    private const int MaxUrlLength = 2048;

    public static RouteGroupBuilder MapGates(this RouteGroupBuilder api)
    {
        var program = api.MapGroup("/programs/{program}").WithTags("Stage gates");

        program.MapPost("/checks", PostCheckAsync)
            .Write("PostCheck", "Record a CI check result (quality or interop) for a target stage and cohort or scope")
            .Produces<GateCheck>(StatusCodes.Status201Created)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ChecksWrite));
        program.MapGet("/checks", async (string program, ProgramRegistry registry, GateService gates, CancellationToken ct) =>
            {
                registry.Current(program);
                return TypedResults.Ok(await gates.ChecksAsync(program, ct));
            })
            .Read("ListChecks", "CI check results, oldest first")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        program.MapPost("/signoffs", PostSignoffAsync)
            .Write("PostSignoff", "Record a security sign-off for a mission tier at a target stage")
            .Produces<SecuritySignoff>(StatusCodes.Status201Created)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.SecuritySignoff));
        program.MapGet("/signoffs", async (string program, ProgramRegistry registry, GateService gates, CancellationToken ct) =>
            {
                registry.Current(program);
                return TypedResults.Ok(await gates.SignoffsAsync(program, ct));
            })
            .Read("ListSignoffs", "Security sign-offs, oldest first")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        program.MapPut("/support-load", PutSupportLoadAsync)
            .Write("SetSupportLoad", "Post the operator support load (tickets per day) of one UTC day")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.SupportLoadWrite));
        program.MapGet("/support-load", async (string program, ProgramRegistry registry, GateService gates, CancellationToken ct) =>
            {
                registry.Current(program);
                return TypedResults.Ok(await gates.SupportLoadAsync(program, ct));
            })
            .Read("ListSupportLoad", "Posted support-load figures by day")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        program.MapPost("/stage/advance", AdvanceAsync)
            .Write("AdvanceStage", "Evaluate the entry criteria of the target stage and the exit criteria of the current one; advance when all pass")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.StageAdvance));
        return api;
    }

    /// <summary>A stage id as a request gives it: a number (<c>1</c>) or a string (<c>"1"</c>).</summary>
    public static string? StageId(JsonElement stage) => stage.ValueKind switch
    {
        JsonValueKind.Number when stage.TryGetInt32(out var n) => n.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.String => stage.GetString(),
        _ => null,
    };

    private static (string? Stage, ProblemHttpResult? Problem) KnownStage(ProgramDefinition definition, JsonElement stage, string field)
    {
        var id = StageId(stage);
        return id is not null && definition.FindStage(id) is not null
            ? (id, null)
            : (null, Problems.BadRequest($"{field} must be a stage of the program: {string.Join(", ", definition.Stages.Select(s => s.Id))}", field));
    }

    [GeneratedRegex("^[0-9a-fA-F]{7,64}$")]
    private static partial Regex CommitPattern();

    private static async Task<Results<Created<GateCheck>, ProblemHttpResult>> PostCheckAsync(string program, CheckBody body, HttpContext http,
        ProgramRegistry registry, GateService gates)
    {
        var definition = registry.Current(program).State.Definition;
        CheckKind? kind = body.Kind switch { "quality" => CheckKind.Quality, "interop" => CheckKind.Interop, _ => null };
        if (kind is null)
        {
            return Problems.BadRequest("kind must be quality or interop", "kind");
        }
        var (stage, badStage) = KnownStage(definition, body.Stage, "stage");
        if (badStage is not null)
        {
            return badStage;
        }
        string target;
        if (body.Cohort is not null == body.Scope is not null)
        {
            return Problems.BadRequest("give either cohort (e.g. pilot) or scope (global, workspace:ID, cohort:ID)", "cohort");
        }
        if (body.Cohort is { } cohort)
        {
            if (definition.FindCohort(cohort) is null)
            {
                return Problems.BadRequest($"program '{program}' has no cohort '{cohort}'", "cohort");
            }
            target = "cohort:" + cohort;
        }
        else
        {
            if (!Scope.TryParse(body.Scope, out var scope, out var error) || scope.Kind == ScopeKind.User)
            {
                return Problems.BadRequest(error ?? "a check's scope is global, workspace:ID or cohort:ID", "scope");
            }
            if (scope.Kind == ScopeKind.Cohort && definition.FindCohort(scope.Id!) is null)
            {
                return Problems.BadRequest($"program '{program}' has no cohort '{scope.Id}'", "scope");
            }
            target = scope.Kind switch { ScopeKind.Global => "global", ScopeKind.Cohort => "cohort:" + scope.Id, _ => "workspace:" + scope.Id };
        }
        CheckStatus? status = body.Status switch { "passed" => CheckStatus.Passed, "failed" => CheckStatus.Failed, "pending" => CheckStatus.Pending, _ => null };
        if (status is null)
        {
            return Problems.BadRequest("status must be passed, failed or pending", "status");
        }
        if (body.Evidence is not { Length: <= MaxUrlLength } evidence || !Uri.TryCreate(evidence, UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(url.Host))
        {
            return Problems.BadRequest($"evidence must be an http or https URL of at most {MaxUrlLength} characters (the CI run)", "evidence");
        }
        if (body.Commit is not null && !CommitPattern().IsMatch(body.Commit))
        {
            return Problems.BadRequest("commit must be a commit hash: 7 to 64 hexadecimal characters", "commit");
        }
        var check = await gates.PostCheckAsync(program, new GateCheck("", kind.Value, stage!, target, status.Value, evidence, body.Commit?.ToLowerInvariant(),
            default, ""), http.Actor(), http.RequestAborted);
        return TypedResults.Created($"/api/v1/programs/{program}/checks", check);
    }

    private static async Task<Results<Created<SecuritySignoff>, ProblemHttpResult>> PostSignoffAsync(string program, SignoffBody body, HttpContext http,
        ProgramRegistry registry, GateService gates)
    {
        var definition = registry.Current(program).State.Definition;
        if (body.Tier is not { } tier || definition.Tiers.All(t => t.Id != tier))
        {
            return Problems.BadRequest($"tier must be a mission tier of the program: {string.Join(", ", definition.Tiers.Select(t => t.Id))}", "tier");
        }
        var (stage, badStage) = KnownStage(definition, body.Stage, "stage");
        if (badStage is not null)
        {
            return badStage;
        }
        if (string.IsNullOrWhiteSpace(body.Reason) || body.Reason.Length > GateService.MaxTextLength)
        {
            return Problems.BadRequest($"reason is required (at most {GateService.MaxTextLength} characters): what was reviewed", "reason");
        }
        var signoff = await gates.AddSignoffAsync(program, tier, stage!, body.Reason, http.Actor(), http.RequestAborted);
        return TypedResults.Created($"/api/v1/programs/{program}/signoffs", signoff);
    }

    private static async Task<Results<Ok<SupportLoadFigure>, ProblemHttpResult>> PutSupportLoadAsync(string program, SupportLoadBody body,
        HttpContext http, ProgramRegistry registry, GateService gates)
    {
        registry.Current(program);
        if (body.Period is not null && !DateOnly.TryParseExact(body.Period, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return Problems.BadRequest("period must be a UTC day, yyyy-MM-dd (leave it out for today)", "period");
        }
        if (body.TicketsPerDay is not (>= 0 and <= 1_000_000) || body.TicketsPerDay.Value.Scale > 2)
        {
            return Problems.BadRequest("ticketsPerDay must be a number from 0 to 1000000 (at most two decimals)", "ticketsPerDay");
        }
        return TypedResults.Ok(await gates.SetSupportLoadAsync(program, body.Period, body.TicketsPerDay.Value, http.Actor(), http.RequestAborted));
    }

    private static async Task<Results<Ok<AdvanceView>, ProblemHttpResult>> AdvanceAsync(string program, AdvanceBody body, HttpContext http,
        ProgramRegistry registry, GateService gates)
    {
        registry.Current(program);
        if (StageId(body.To) is not { Length: > 0 } to)
        {
            return Problems.BadRequest("to must be the target stage: a number (1) or a stage id (\"1\")", "to");
        }
        var outcome = await gates.AdvanceAsync(program, to, body.DryRun, http.Actor(), http.RequestAborted);
        if (outcome.Revision is { } revision)
        {
            RequestReading.SetRevision(http.Response, revision);
        }
        var v = outcome.Verdict;
        var view = new AdvanceView(program, v.From, v.Target, v.Allowed, body.DryRun, v.Criteria, [.. v.Failing.Select(c => c.Name)],
            outcome.EvaluatedAt, outcome.Revision, outcome.KnownSafe);
        if (v.Allowed || body.DryRun)
        {
            return TypedResults.Ok(view);
        }
        return Problems.Result(StatusCodes.Status422UnprocessableEntity, "Stage gate refused",
            $"stage {v.Target} refused: {string.Join(", ", view.Failing)} did not pass",
            new Dictionary<string, object?>
            {
                ["program"] = program, ["from"] = v.From, ["target"] = v.Target, ["allowed"] = false, ["criteria"] = v.Criteria,
                ["failing"] = view.Failing,
            });
    }
}
