using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Changes;
using Ripcord.Core.Evaluation;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Overrides;

public sealed record OverrideBody(string? Flag, string? Scope, bool? Value, string? Reason, DateTimeOffset? ExpiresAt);

public sealed record OverrideView(string Id, string Flag, string? Alias, string Scope, bool Value, string Reason,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? ExpiresAt, bool Diagnostic, bool Expired);

public sealed record OverrideWritten(OverrideView Override, long Revision, string? Replaced);

public sealed record OverrideDeleted(string Id, long Revision);

/// <summary>Overrides: a flag's value at global, workspace, cohort or (diagnostic, expiring) user scope.</summary>
public static class OverridesApi
{
    public static RouteGroupBuilder MapOverrides(this RouteGroupBuilder api)
    {
        api.MapGet("/programs/{program}/overrides", (string program, ProgramRegistry registry, ProgramWriter writer) =>
            {
                var state = registry.Current(program).State;
                return TypedResults.Ok(state.Overrides.Select(o => View(state, o, writer.Now)).ToList());
            })
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead));

        // Support may only touch user scope: the endpoint admits the wider diagnostic
        // permission and checks the full one for other scopes.
        api.MapPost("/programs/{program}/overrides", CreateAsync)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.DiagnosticOverridesWrite));

        api.MapDelete("/programs/{program}/overrides/{id}", DeleteAsync)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.DiagnosticOverridesWrite));
        return api;
    }

    private static async Task<Results<Created<OverrideWritten>, ProblemHttpResult>> CreateAsync(
        string program, HttpRequest request, ProgramWriter writer, ProgramRegistry registry, OverridePermission permission)
    {
        registry.Current(program);
        var (ifMatch, body, problem) = await RequestReading.ReadWriteAsync<OverrideBody>(request);
        if (body is null)
        {
            return problem!;
        }
        if (body.Flag is null || body.Scope is null || body.Value is null || body.Reason is null)
        {
            var missing = new[] { ("flag", body.Flag), ("scope", body.Scope), ("value", (object?)body.Value), ("reason", body.Reason) }
                .Where(x => x.Item2 is null).Select(x => x.Item1);
            return Problems.BadRequest($"missing required field(s): {string.Join(", ", missing)}");
        }
        if (await permission.DenyAsync(request.HttpContext, body.Scope) is { } denied)
        {
            return denied;
        }
        var actor = request.HttpContext.Actor();
        var id = "ovr_" + Guid.NewGuid().ToString("N")[..12];
        var outcome = await writer.ExecuteAsync(program,
            new SetOverride(id, body.Flag, body.Scope, body.Value.Value, body.Reason, body.ExpiresAt, actor.Principal), actor, ifMatch,
            request.HttpContext.RequestAborted);
        RequestReading.SetRevision(request.HttpContext.Response, outcome.Revision);
        var set = outcome.Change.Event<OverrideSet>();
        var view = View(outcome.Change.State, set.Override, writer.Now);
        return TypedResults.Created($"/api/v1/programs/{program}/overrides/{view.Id}", new OverrideWritten(view, outcome.Revision, set.Replaced?.Id));
    }

    private static async Task<Results<Ok<OverrideDeleted>, ProblemHttpResult>> DeleteAsync(
        string program, string id, HttpRequest request, ProgramWriter writer, ProgramRegistry registry, OverridePermission permission)
    {
        var existing = registry.Current(program).State.FindOverride(id);
        if (existing is null)
        {
            return Problems.NotFound($"no override '{id}' in program '{program}'");
        }
        var (ifMatch, badIfMatch) = RequestReading.IfMatch(request);
        if (badIfMatch is not null)
        {
            return badIfMatch;
        }
        if (await permission.DenyAsync(request.HttpContext, existing.Scope.ToString()) is { } denied)
        {
            return denied;
        }
        var outcome = await writer.ExecuteAsync(program, new RemoveOverride(id), request.HttpContext.Actor(), ifMatch, request.HttpContext.RequestAborted);
        RequestReading.SetRevision(request.HttpContext.Response, outcome.Revision);
        return TypedResults.Ok(new OverrideDeleted(id, outcome.Revision));
    }

    public static OverrideView View(ProgramState state, FlagOverride o, DateTimeOffset now) => new(
        o.Id, o.Flag, state.Definition.FindFlag(o.Flag)?.Alias, o.Scope.ToString(), o.Value, o.Reason, o.CreatedAt, o.CreatedBy,
        o.ExpiresAt, o.IsDiagnostic, o.IsExpired(now));
}
