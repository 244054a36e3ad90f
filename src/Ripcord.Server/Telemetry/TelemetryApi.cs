using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Streaming;

namespace Ripcord.Server.Telemetry;

public sealed record TelemetryAccepted(int Accepted);

/// <summary>POST /api/v1/telemetry: SDK event batches, stored raw and durably; revision heartbeats feed the client registry.</summary>
public static class TelemetryApi
{
    public const long MaxBatchBytes = 256 * 1024;

    public static RouteGroupBuilder MapTelemetry(this RouteGroupBuilder api)
    {
        var telemetry = api.MapGroup("/telemetry").WithTags("Telemetry");

        // Read by the telemetry validator, not bound: the batch is checked field by field against the schema.
        telemetry.MapPost("", IngestAsync)
            .Write("IngestTelemetry", "A batch of SDK telemetry events, stored whole or not at all")
            .DocumentsJsonBody<JsonElement>()
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.TelemetryWrite))
            .WithMetadata(new RequestSizeLimitAttribute(MaxBatchBytes))
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);

        telemetry.MapGet("/stats", (TelemetryStats stats) => TypedResults.Ok(stats.View()))
            .Read("TelemetryStats", "Ingest counters: accepted, refused and why, dropped by SDKs")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.TelemetryRead));
        return api;
    }

    private static async Task<Results<Accepted<TelemetryAccepted>, ProblemHttpResult>> IngestAsync(
        HttpContext context, ProgramRegistry registry, TelemetryWriter writer, TelemetryStats stats, ClientRegistry clients,
        KillSwitches.VerificationTracker verifications, Metrics.ServerMetrics metrics, TelemetryRateLimiter rates, TelemetryCapacity capacity, Revisions.IRevisionStore revisions, ServerOptions options, TimeProvider clock)
    {
        var actor = context.Actor();
        // Cheap refusals first, before the body is read: a key over its rate, a store that cannot take more.
        if (rates.IsExhausted(actor.TokenId))
        {
            return TooMany(context, stats, TimeSpan.FromSeconds(1));
        }
        if (capacity.Refusal() is { } full)
        {
            return Unstorable(context, stats, full.Code, full.Detail);
        }
        JsonDocument document;
        try
        {
            if (context.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                stats.Rejected("media-type");
                return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "send telemetry as application/json");
            }
            document = await JsonDocument.ParseAsync(context.Request.Body,
                new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false }, context.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // Comparing property names for duplicates decodes them: a lone surrogate ("\ud800") is no text.
            return Refused(stats, StatusCodes.Status400BadRequest, "bad-text", "a property name is not valid Unicode text (a lone surrogate escape)");
        }
        catch (JsonException ex)
        {
            var duplicate = ex.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase);
            stats.Rejected(duplicate ? "duplicate-field" : "malformed");
            return Problems.Result(StatusCodes.Status400BadRequest, "Telemetry refused",
                $"{(duplicate ? "a field appears twice" : "malformed JSON")} (line {(ex.LineNumber ?? 0) + 1}); nothing was stored",
                new Dictionary<string, object?> { ["code"] = duplicate ? "duplicate-field" : "malformed" });
        }
        using (document)
        {
            var (batch, rejection) = TelemetryValidator.Validate(document.RootElement);
            if (batch is null)
            {
                return Refused(stats, StatusCodes.Status400BadRequest, rejection!.Code, rejection.Message);
            }
            if (!registry.TryGet(batch.Program, out var program))
            {
                stats.Rejected("unknown-program");
                return Problems.NotFound($"no program '{batch.Program}'; nothing was stored");
            }
            // Kill-switch verification trusts what instances say they applied: no revision the program has not reached.
            // (Another node may have written a newer head than this one has loaded: the store decides.)
            var highest = batch.Events.Max(e => e.Revision) ?? 0;
            if (highest > program.Revision && await revisions.GetAsync(batch.Program, highest, context.RequestAborted) is null)
            {
                return Refused(stats, StatusCodes.Status400BadRequest, "revision-ahead",
                    $"revision {highest} is above the head of '{batch.Program}' ({program.Revision})");
            }
            var (acquired, retryAfter) = rates.TryAcquire(actor.TokenId, batch.Events.Count);
            if (!acquired)
            {
                return TooMany(context, stats, retryAfter);
            }
            // A revision heartbeat says what the instance has applied: kill-switch verification waits on it, so the
            // registry hears it at once rather than after the batch's group commit. The first key to report an
            // instance owns it.
            var claim = clients.Check(batch.Instance, actor.TokenId);
            var heartbeat = batch.Events.Where(e => e.Type == Core.Telemetry.TelemetryEventTypes.RevisionHeartbeat && e.Revision is not null)
                .MaxBy(e => e.Revision);
            if (claim == InstanceClaim.Accepted && heartbeat is not null)
            {
                claim = clients.Applied(batch.Instance, batch.Program, actor.TokenId, actor.Name, heartbeat.Revision!.Value, heartbeat.State);
            }
            if (claim == InstanceClaim.BoundToAnotherKey)
            {
                return Refused(stats, StatusCodes.Status403Forbidden, "instance-bound",
                    $"instance '{batch.Instance}' is registered to another SDK key; each instance reports with the key it first used");
            }
            if (claim == InstanceClaim.TooManyInstances)
            {
                return Refused(stats, StatusCodes.Status409Conflict, "too-many-instances",
                    $"this SDK key already reports {options.Telemetry.MaxInstancesPerKey} instances, its limit; "
                    + "instances it has not reported for 10 minutes are forgotten");
            }
            var now = clock.GetUtcNow();
            try
            {
                await writer.WriteAsync([.. batch.Events.Select(e => new TelemetryRecord(
                    now, batch.Program, batch.Instance, e.Type, e.At, e.PayloadJson, e.Facts))], context.RequestAborted);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                return StorageFailure.IsFull(ex)
                    ? Unstorable(context, stats, "storage-full", "the telemetry store is full")
                    : Problems.Result(StatusCodes.Status503ServiceUnavailable, "Telemetry storage unavailable",
                        "the batch could not be stored; nothing of it was kept; retry later");
            }
            capacity.Added(batch.Events.Count);
            metrics.Stored(batch, now);
            stats.Accepted(batch.Events.Count, batch.SdkDropped);
            verifications.Observe(batch.Program, batch.Instance, batch.Events);
            return TypedResults.Accepted((string?)null, new TelemetryAccepted(batch.Events.Count));
        }
    }

    private static ProblemHttpResult Refused(TelemetryStats stats, int status, string code, string message)
    {
        stats.Rejected(code);
        return Problems.Result(status, "Telemetry refused", message + "; nothing from this batch was stored",
            new Dictionary<string, object?> { ["code"] = code });
    }

    private static ProblemHttpResult TooMany(HttpContext context, TelemetryStats stats, TimeSpan retryAfter)
    {
        var seconds = (long)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Refused(stats, StatusCodes.Status429TooManyRequests, "rate-limited",
            $"this SDK key is sending more telemetry than its limit; retry after {seconds} s");
    }

    // 507: the request was fine, the server has no room for it. SDKs retry later; configuration writes are unaffected.
    private static ProblemHttpResult Unstorable(HttpContext context, TelemetryStats stats, string code, string detail)
    {
        context.Response.Headers.RetryAfter = "60";
        return Refused(stats, StatusCodes.Status507InsufficientStorage, code, detail);
    }
}
