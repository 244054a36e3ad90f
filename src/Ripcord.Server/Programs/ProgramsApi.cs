using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

namespace Ripcord.Server.Programs;

public sealed record ProgramSummary(string Key, string Description, long Revision, string Stage, int Flags, int Cohorts,
    int Overrides, int ActiveKillSwitches);

public sealed record FlagView(string Key, string? Alias, string Type, bool Default, bool Safe, IReadOnlyList<string> Prerequisites,
    string Description, bool Emergency);

/// <summary>
/// What applying a definition did — or with <c>dryRun</c>, would do (then <c>revision</c> is the current one and nothing
/// was written): every change in words, the overrides and kill switches it drops, and the live cohorts it empties.
/// </summary>
public sealed record DefinitionApplied(string Program, long Revision, IReadOnlyList<string> DroppedOverrides,
    IReadOnlyList<string> DroppedKillSwitches, string? StageReset, bool DryRun, IReadOnlyList<string> EmptiedCohorts,
    IReadOnlyList<StateChange> Changes);

public sealed record DefinitionRefused(IReadOnlyList<DefinitionError> Errors);

/// <summary>Programs, their flags, and their definitions (YAML in, YAML out).</summary>
public static class ProgramsApi
{
    public const long MaxDefinitionBytes = 4 * 1024 * 1024;

    public static RouteGroupBuilder MapPrograms(this RouteGroupBuilder api)
    {
        var programs = api.MapGroup("/programs").WithTags("Programs");

        programs.MapGet("", (ProgramRegistry registry) => TypedResults.Ok(registry.All.Select(Summary).ToList()))
            .Read("ListPrograms", "Every program with its revision, stage and counts")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        programs.MapGet("/{program}", (string program, ProgramRegistry registry) => TypedResults.Ok(Summary(registry.Current(program))))
            .Read("GetProgram", "One program's revision, stage and counts")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.SdkRead));

        programs.MapGet("/{program}/flags", (string program, ProgramRegistry registry) =>
            {
                var definition = registry.Current(program).State.Definition;
                return TypedResults.Ok(definition.Flags.Select(f => View(definition, f)).ToList());
            })
            .Read("ListFlags", "The program's flags: key, alias, default, safe value, prerequisites")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.SdkRead));

        programs.MapGet("/{program}/definition", (string program, ProgramRegistry registry, HttpResponse response) =>
            {
                var compiled = registry.Current(program);
                RequestReading.SetRevision(response, compiled.Revision);
                // Exports the live cohorts too, so export → edit → apply keeps operators' membership changes.
                var live = compiled.State.Definition with { Cohorts = compiled.State.Cohorts };
                return TypedResults.Text(DefinitionWriter.Write(live), "application/yaml", Encoding.UTF8);
            })
            .Read("GetDefinition", "The program's definition as YAML, with its live cohorts")
            .Produces<string>(StatusCodes.Status200OK, "application/yaml")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        programs.MapPost("/{program}/definition", (string program, bool? dryRun, HttpRequest request, ProgramWriter writer) =>
                ApplyAsync(program, dryRun ?? false, request, writer))
            .Write("ApplyProgramDefinition", "Apply a new definition (YAML) of this program; with dryRun=true, only say what it would change")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.DefinitionWrite))
            .WithMetadata(new RequestSizeLimitAttribute(MaxDefinitionBytes))
            .Accepts<string>("application/yaml");

        api.MapPost("/definitions", (bool? dryRun, HttpRequest request, ProgramWriter writer) => ApplyAsync(null, dryRun ?? false, request, writer))
            .WithTags("Programs")
            .Write("ApplyDefinition", "Create a program, or replace its definition, from a YAML file; with dryRun=true, only say what it would change")
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.DefinitionWrite))
            .WithMetadata(new RequestSizeLimitAttribute(MaxDefinitionBytes))
            .Accepts<string>("application/yaml");

        return api;
    }

    private static async Task<Results<Ok<DefinitionApplied>, ProblemHttpResult>> ApplyAsync(string? program, bool dryRun, HttpRequest request,
        ProgramWriter writer)
    {
        var type = request.ContentType ?? "";
        if (!(type.Contains("yaml", StringComparison.OrdinalIgnoreCase) || type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "send the definition as YAML with Content-Type: application/yaml");
        }
        var (ifMatch, badIfMatch) = RequestReading.IfMatch(request);
        if (badIfMatch is not null)
        {
            return badIfMatch;
        }
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var yaml = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        var result = DefinitionReader.Read(yaml);
        if (!result.IsValid)
        {
            return Refused(result.Errors);
        }
        var definition = result.Definition!;
        if (program is not null && !string.Equals(program, definition.Key, StringComparison.Ordinal))
        {
            return Refused([new DefinitionError(1, "program", $"the file defines '{definition.Key}' but was sent to '{program}'")]);
        }
        if (dryRun)
        {
            var (current, head, preview) = writer.Preview(definition.Key, new ApplyDefinition(definition));
            if (ifMatch is long expected && expected != head)
            {
                throw new Revisions.RevisionConflictException(definition.Key, expected, head);
            }
            RequestReading.SetRevision(request.HttpContext.Response, head);
            return TypedResults.Ok(Report(definition.Key, head, true, current, preview));
        }
        var outcome = await writer.ExecuteAsync(definition.Key, new ApplyDefinition(definition), request.HttpContext.Actor(), ifMatch,
            request.HttpContext.RequestAborted);
        RequestReading.SetRevision(request.HttpContext.Response, outcome.Revision);
        return TypedResults.Ok(Report(definition.Key, outcome.Revision, false, outcome.Before, outcome.Change));
    }

    private static DefinitionApplied Report(string program, long revision, bool dryRun, ProgramState? before, ProgramChange change)
    {
        var report = change.Event<Core.Changes.DefinitionApplied>();
        var changes = StateDiff.Between(before ?? Empty(program), change.State);
        var emptied = changes.Where(c => c is { Area: DiffArea.Cohort, Warning: true }).Select(c => c.Subject).ToList();
        return new DefinitionApplied(program, revision, report.DroppedOverrides, report.DroppedKillSwitches, report.StageReset, dryRun, emptied, changes);
    }

    /// <summary>What a program that does not exist yet is compared from: nothing.</summary>
    private static ProgramState Empty(string key) => new() { Definition = new ProgramDefinition { Key = key }, Stage = "" };

    private static ProblemHttpResult Refused(IReadOnlyList<DefinitionError> errors) =>
        Problems.Result(StatusCodes.Status422UnprocessableEntity, "Invalid definition",
            $"the definition has {errors.Count} error(s); nothing was changed: " + string.Join("; ", errors.Take(5)),
            new Dictionary<string, object?> { ["errors"] = errors });

    private static ProgramSummary Summary(CompiledProgram p) => new(
        p.Program, p.State.Definition.Description, p.Revision, p.State.Stage, p.State.Definition.Flags.Length,
        p.State.Cohorts.Length, p.State.Overrides.Length, p.State.KillSwitches.Length);

    private static FlagView View(ProgramDefinition d, FlagDefinition f) => new(
        f.Key, f.Alias, f.Type, f.Default, f.Safe, f.Prerequisites, f.Description,
        string.Equals(d.EmergencyFlag, f.Key, StringComparison.Ordinal));
}
