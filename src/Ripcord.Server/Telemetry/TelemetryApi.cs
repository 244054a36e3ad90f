using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;
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
            .WithMetadata(new RequestSizeLimitAttribute(MaxBatchBytes));

        telemetry.MapGet("/stats", (TelemetryStats stats) => TypedResults.Ok(stats.View()))
            .Read("TelemetryStats", "Ingest counters: accepted, refused and why, dropped by SDKs")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.TelemetryRead));
        return api;
    }

    private static async Task<Results<Accepted<TelemetryAccepted>, ProblemHttpResult>> IngestAsync(
        HttpContext context, ProgramRegistry registry, TelemetryWriter writer, TelemetryStats stats, ClientRegistry clients, KillSwitches.VerificationTracker verifications, TimeProvider clock)
    {
        JsonDocument document;
        try
        {
            if (context.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                stats.Rejected("media-type");
                return Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "send telemetry as application/json");
            }
            document = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 8 }, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            stats.Rejected("malformed");
            return Problems.BadRequest($"malformed JSON (line {(ex.LineNumber ?? 0) + 1}); nothing was stored");
        }
        using (document)
        {
            var (batch, rejection) = TelemetryValidator.Validate(document.RootElement);
            if (batch is null)
            {
                stats.Rejected(rejection!.Code);
                return Problems.Result(StatusCodes.Status400BadRequest, "Telemetry refused", rejection.Message + "; nothing from this batch was stored",
                    new Dictionary<string, object?> { ["code"] = rejection.Code });
            }
            if (!registry.TryGet(batch.Program, out _))
            {
                stats.Rejected("unknown-program");
                return Problems.NotFound($"no program '{batch.Program}'; nothing was stored");
            }
            // A revision heartbeat says what the instance has applied: kill-switch verification waits on it, so the
            // registry hears it at once rather than after the batch's group commit.
            foreach (var heartbeat in batch.Events.Where(e => e.Type == Core.Telemetry.TelemetryEventTypes.RevisionHeartbeat && e.Revision is not null))
            {
                clients.Applied(batch.Instance, batch.Program, context.Actor().Name, heartbeat.Revision!.Value, heartbeat.State);
            }
            var now = clock.GetUtcNow();
            try
            {
                await writer.WriteAsync([.. batch.Events.Select(e => new TelemetryRecord(
                    "evt_" + Guid.NewGuid().ToString("N"), now, batch.Program, batch.Instance, e.Type, e.At, e.PayloadJson))], context.RequestAborted);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                return Problems.Result(StatusCodes.Status503ServiceUnavailable, "Telemetry storage unavailable",
                    "the batch could not be stored; nothing of it was kept; retry later");
            }
            stats.Accepted(batch.Events.Count, batch.SdkDropped);
            verifications.Observe(batch.Program, batch.Instance, batch.Events);
            return TypedResults.Accepted((string?)null, new TelemetryAccepted(batch.Events.Count));
        }
    }
}
