using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ripcord.Core.Alerts;
using Ripcord.Core.Audit;
using Ripcord.Core.Gates;
using Ripcord.Server.Alerts;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Cohorts;
using Ripcord.Core.Incidents;
using Ripcord.Server.Evaluation;
using Ripcord.Server.Incidents;
using Ripcord.Server.Grants;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Overrides;
using Ripcord.Server.Programs;
using Ripcord.Server.Ramps;
using Ripcord.Server.Revisions;
using Ripcord.Core.Rollback;
using Ripcord.Server.Rollback;
using Ripcord.Server.Stages;
using Ripcord.Server.Streaming;
using Ripcord.Server.Telemetry;
using Ripcord.Server.Webhooks;

namespace Ripcord.Cli.Api;

/// <summary>
/// The Ripcord REST API (<c>/api/v1</c>) as typed calls, one per endpoint, on the server's own
/// request and response records — shared by the CLI and the tests. Every call returns the typed
/// value together with the body as sent (<see cref="ApiResponse{T}.Raw"/>) and the ETag revision;
/// writes take the expected revision as If-Match. An error status becomes a
/// <see cref="RipcordApiException"/> carrying the problem details; no answer at all becomes a
/// <see cref="RipcordUnreachableException"/>.
/// </summary>
/// <remarks>
/// The token is sent per request, not set on the <see cref="HttpClient"/>, so one HttpClient can
/// serve a client per role.
/// </remarks>
public sealed class RipcordApiClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Over an existing HttpClient (whose BaseAddress is the server), which the caller keeps and disposes.</summary>
    public RipcordApiClient(HttpClient http, string? token)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.BaseAddress is null)
        {
            throw new ArgumentException("the HttpClient needs a BaseAddress (the server's URL)", nameof(http));
        }
        _http = http;
        _authorization = Authorization(token);
        Server = WithTrailingSlash(http.BaseAddress);
    }

    /// <summary>To <paramref name="server"/> (http or https), with its own HttpClient.</summary>
    public RipcordApiClient(Uri server, string? token, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!server.IsAbsoluteUri || server.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"the server must be an http(s) URL, not '{server}'", nameof(server));
        }
        _authorization = Authorization(token);
        Server = WithTrailingSlash(server);
        _http = new HttpClient { BaseAddress = Server, Timeout = timeout ?? DefaultTimeout };
        _ownsHttp = true;
    }

    /// <summary>The server's base URL; API paths are resolved below it, so a reverse-proxy prefix works.</summary>
    public Uri Server { get; }

    /// <summary>Whether requests carry a token (a 401 then means it was refused, not missing).</summary>
    public bool HasToken => _authorization is not null;

    // ---- programs and flags ------------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<ProgramSummary>>> ListProgramsAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ProgramSummary>>("api/v1/programs", ct);

    public Task<ApiResponse<ProgramSummary>> GetProgramAsync(string program, CancellationToken ct = default) =>
        GetAsync<ProgramSummary>(ProgramPath(program), ct);

    public Task<ApiResponse<IReadOnlyList<FlagView>>> ListFlagsAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<FlagView>>(ProgramPath(program, "flags"), ct);

    // ---- cohorts -------------------------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<CohortView>>> ListCohortsAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<CohortView>>(ProgramPath(program, "cohorts"), ct);

    public Task<ApiResponse<CohortWritten>> PutCohortAsync(string program, string id, CohortBody cohort, long? ifMatch = null,
        CancellationToken ct = default) =>
        SendAsync<CohortWritten>(HttpMethod.Put, ProgramPath(program, "cohorts", id), JsonBody(cohort), ifMatch, ct);

    // ---- overrides -----------------------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<OverrideView>>> ListOverridesAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<OverrideView>>(ProgramPath(program, "overrides"), ct);

    public Task<ApiResponse<OverrideWritten>> SetOverrideAsync(string program, OverrideBody change, long? ifMatch = null,
        CancellationToken ct = default) =>
        SendAsync<OverrideWritten>(HttpMethod.Post, ProgramPath(program, "overrides"), JsonBody(change), ifMatch, ct);

    public Task<ApiResponse<OverrideDeleted>> DeleteOverrideAsync(string program, string id, long? ifMatch = null,
        CancellationToken ct = default) =>
        SendAsync<OverrideDeleted>(HttpMethod.Delete, ProgramPath(program, "overrides", id), null, ifMatch, ct);

    // ---- stage ---------------------------------------------------------------------------------

    public Task<ApiResponse<StageView>> GetStageAsync(string program, CancellationToken ct = default) =>
        GetAsync<StageView>(ProgramPath(program, "stage"), ct);

    /// <summary>
    /// Moves to <paramref name="stage"/>: a number (<c>1</c>) is sent as a number, a name (<c>freeze</c>) as a string.
    /// Any stage but freeze needs an admin token and a break-glass <paramref name="reason"/>; stages move through <see cref="AdvanceStageAsync"/>.
    /// </summary>
    public Task<ApiResponse<StageView>> SetStageAsync(string program, string stage, long? ifMatch = null, string? reason = null, CancellationToken ct = default) =>
        SendAsync<StageView>(HttpMethod.Put, ProgramPath(program, "stage"), JsonBody(new StageBody(StageValue(stage), reason)), ifMatch, ct);

    private static JsonElement StageValue(string stage) => int.TryParse(stage, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
        ? JsonSerializer.SerializeToElement(number, Json)
        : JsonSerializer.SerializeToElement(stage, Json);

    /// <summary>The checklist of moving to <paramref name="to"/>, and the move when it passes and this is no dry run (a refusal is a 422 problem carrying the checklist).</summary>
    public Task<ApiResponse<AdvanceView>> AdvanceStageAsync(string program, string to, bool dryRun, CancellationToken ct = default) =>
        SendAsync<AdvanceView>(HttpMethod.Post, ProgramPath(program, "stage", "advance"), JsonBody(new AdvanceBody(StageValue(to), dryRun)), null, ct);

    // ---- stage gates ---------------------------------------------------------------------------

    public Task<ApiResponse<GateCheck>> PostCheckAsync(string program, CheckBody check, CancellationToken ct = default) =>
        SendAsync<GateCheck>(HttpMethod.Post, ProgramPath(program, "checks"), JsonBody(check), null, ct);

    public Task<ApiResponse<IReadOnlyList<GateCheck>>> ListChecksAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<GateCheck>>(ProgramPath(program, "checks"), ct);

    public Task<ApiResponse<SecuritySignoff>> AddSignoffAsync(string program, SignoffBody signoff, CancellationToken ct = default) =>
        SendAsync<SecuritySignoff>(HttpMethod.Post, ProgramPath(program, "signoffs"), JsonBody(signoff), null, ct);

    public Task<ApiResponse<IReadOnlyList<SecuritySignoff>>> ListSignoffsAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<SecuritySignoff>>(ProgramPath(program, "signoffs"), ct);

    public Task<ApiResponse<SupportLoadFigure>> SetSupportLoadAsync(string program, SupportLoadBody figure, CancellationToken ct = default) =>
        SendAsync<SupportLoadFigure>(HttpMethod.Put, ProgramPath(program, "support-load"), JsonBody(figure), null, ct);

    public Task<ApiResponse<IReadOnlyList<SupportLoadFigure>>> ListSupportLoadAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<SupportLoadFigure>>(ProgramPath(program, "support-load"), ct);

    public Task<ApiResponse<KnownSafeRevision>> TagKnownSafeAsync(string program, long revision, string reason, CancellationToken ct = default) =>
        SendAsync<KnownSafeRevision>(HttpMethod.Post, ProgramPath(program, "revisions", revision.ToString(CultureInfo.InvariantCulture), "known-safe"),
            JsonBody(new KnownSafeBody(reason)), null, ct);

    // ---- evaluation ----------------------------------------------------------------------------

    public Task<ApiResponse<EvaluateResponse>> EvaluateAsync(string program, ContextBody context, CancellationToken ct = default) =>
        SendAsync<EvaluateResponse>(HttpMethod.Post, ProgramPath(program, "evaluate"), JsonBody(new EvaluateBody(context)), null, ct);

    // ---- revisions -----------------------------------------------------------------------------

    /// <summary>Newest first; <paramref name="before"/> pages back from a revision.</summary>
    public Task<ApiResponse<IReadOnlyList<RevisionView>>> ListRevisionsAsync(string program, int? limit = null, long? before = null,
        CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<RevisionView>>(ProgramPath(program, "revisions") + Query(("limit", limit), ("before", before)), ct);

    /// <summary>One revision with its full state.</summary>
    public Task<ApiResponse<RevisionView>> GetRevisionAsync(string program, long revision, CancellationToken ct = default) =>
        GetAsync<RevisionView>(ProgramPath(program, "revisions", revision.ToString(CultureInfo.InvariantCulture)), ct);

    // ---- definitions ---------------------------------------------------------------------------

    /// <summary>The program's definition as YAML (with its live cohorts); the value is the YAML text.</summary>
    public Task<ApiResponse<string>> GetDefinitionAsync(string program, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, ProgramPath(program, "definition"), null, null, text => text, ct);

    /// <summary>
    /// Creates a program or replaces its definition from YAML. With <paramref name="program"/>, the
    /// server refuses a file that defines another program.
    /// </summary>
    public Task<ApiResponse<DefinitionApplied>> ApplyDefinitionAsync(string yaml, long? ifMatch = null, string? program = null,
        CancellationToken ct = default, bool dryRun = false) =>
        SendAsync<DefinitionApplied>(HttpMethod.Post,
            (program is null ? "api/v1/definitions" : ProgramPath(program, "definition")) + (dryRun ? "?dryRun=true" : ""),
            new StringContent(yaml, Encoding.UTF8, "application/yaml"), ifMatch, ct);

    /// <summary>What changed from revision <paramref name="from"/> to <paramref name="to"/>, in words.</summary>
    public Task<ApiResponse<RevisionDiff>> DiffRevisionsAsync(string program, long from, long to, CancellationToken ct = default) =>
        GetAsync<RevisionDiff>(ProgramPath(program, "revisions", "diff") + Query(("from", from), ("to", to)), ct);

    // ---- audit ---------------------------------------------------------------------------------

    /// <summary>Entries after sequence number <paramref name="after"/>, oldest first; <c>Next</c> is set while more follow.</summary>
    public Task<ApiResponse<AuditPage>> ReadAuditAsync(long after = 0, int? limit = null, CancellationToken ct = default) =>
        GetAsync<AuditPage>("api/v1/audit" + Query(("after", after), ("limit", limit)), ct);

    /// <summary>The server's own check of the hash chain (<c>ripcord audit verify</c> checks on the client instead).</summary>
    /// <summary>The newest <paramref name="tail"/> entries (at or after <paramref name="since"/>), newest first.</summary>
    public Task<ApiResponse<AuditPage>> ReadLatestAuditAsync(int tail, DateTimeOffset? since = null, CancellationToken ct = default) =>
        GetAsync<AuditPage>("api/v1/audit" + Query(("tail", tail))
            + (since is { } from ? "&since=" + Uri.EscapeDataString(from.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)) : ""), ct);

    public Task<ApiResponse<AuditVerification>> VerifyAuditAsync(CancellationToken ct = default) =>
        GetAsync<AuditVerification>("api/v1/audit/verify", ct);

    // ---- tokens --------------------------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<TokenView>>> ListTokensAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<TokenView>>("api/v1/tokens", ct);

    /// <summary>Mints a token; the secret is in this answer only.</summary>
    public Task<ApiResponse<TokenCreated>> CreateTokenAsync(TokenBody token, CancellationToken ct = default) =>
        SendAsync<TokenCreated>(HttpMethod.Post, "api/v1/tokens", JsonBody(token), null, ct);

    public Task<ApiResponse<TokenView>> RevokeTokenAsync(string id, CancellationToken ct = default) =>
        SendAsync<TokenView>(HttpMethod.Delete, "api/v1/tokens/" + Uri.EscapeDataString(id), null, null, ct);

    // ---- SDK clients ---------------------------------------------------------------------------

    /// <summary>One page of the program's SDK instances, in instance-id order, starting after <paramref name="after"/>.</summary>
    public Task<ApiResponse<ClientsView>> ListClientsAsync(string program, int? limit = null, string? after = null, CancellationToken ct = default) =>
        GetAsync<ClientsView>(ProgramPath(program, "clients") + Query(("limit", limit))
            + (after is null ? "" : (limit is null ? "?" : "&") + "after=" + Uri.EscapeDataString(after)), ct);

    // ---- metrics -------------------------------------------------------------------------------

    /// <summary>A telemetry dashboard; every argument but the dashboard is optional (the server's defaults: the last hour, a step fitting the range).</summary>
    public Task<ApiResponse<MetricsView>> GetMetricsAsync(string program, string dashboard, string? from = null, string? to = null, string? step = null,
        string? workspace = null, int? tier = null, string? cohort = null, CancellationToken ct = default)
    {
        var query = new (string Name, string? Value)[]
        {
            ("from", from), ("to", to), ("step", step), ("workspace", workspace),
            ("tier", tier?.ToString(CultureInfo.InvariantCulture)), ("cohort", cohort),
        }.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return GetAsync<MetricsView>(ProgramPath(program, "metrics", dashboard)
            + (query.Count == 0 ? "" : "?" + string.Join('&', query)), ct);
    }

    // ---- webhooks ------------------------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<WebhookView>>> ListWebhooksAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<WebhookView>>("api/v1/webhooks", ct);

    /// <summary>Subscribes a URL; the signing secret is in this answer only.</summary>
    public Task<ApiResponse<WebhookCreated>> AddWebhookAsync(WebhookBody webhook, CancellationToken ct = default) =>
        SendAsync<WebhookCreated>(HttpMethod.Post, "api/v1/webhooks", JsonBody(webhook), null, ct);

    public Task<ApiResponse<WebhookView>> RemoveWebhookAsync(string id, CancellationToken ct = default) =>
        SendAsync<WebhookView>(HttpMethod.Delete, "api/v1/webhooks/" + Uri.EscapeDataString(id), null, null, ct);

    /// <summary>Deliveries, newest first; only those that gave up when <paramref name="failed"/>.</summary>
    public Task<ApiResponse<IReadOnlyList<DeliveryView>>> ListWebhookDeliveriesAsync(bool failed = false, int? limit = null,
        CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<DeliveryView>>("api/v1/webhooks/deliveries" + (failed ? "?failed=true" : "")
            + (limit is int n ? (failed ? "&" : "?") + "limit=" + n.ToString(CultureInfo.InvariantCulture) : ""), ct);

    // ---- plumbing ------------------------------------------------------------------------------

    // ---- incidents -----------------------------------------------------------------------------

    public Task<ApiResponse<IncidentCreated>> DeclareIncidentAsync(string program, DeclareIncidentBody body, CancellationToken ct = default) =>
        SendAsync<IncidentCreated>(HttpMethod.Post, ProgramPath(program, "incidents"), JsonBody(body), null, ct);

    public Task<ApiResponse<IReadOnlyList<IncidentSummary>>> ListIncidentsAsync(string program, string? status = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<IncidentSummary>>(ProgramPath(program, "incidents") + (status is null ? "" : "?status=" + Uri.EscapeDataString(status)), ct);

    public Task<ApiResponse<IncidentView>> GetIncidentAsync(string program, string id, CancellationToken ct = default) =>
        GetAsync<IncidentView>(ProgramPath(program, "incidents", id), ct);

    public Task<ApiResponse<Recommendation>> RecommendAsync(string program, string incident, CancellationToken ct = default) =>
        GetAsync<Recommendation>(ProgramPath(program, "incidents", incident, "recommendation"), ct);

    public Task<ApiResponse<Incident>> AddIncidentNoteAsync(string program, string id, string text, CancellationToken ct = default) =>
        SendAsync<Incident>(HttpMethod.Post, ProgramPath(program, "incidents", id, "notes"), JsonBody(new NoteBody(text)), null, ct);

    public Task<ApiResponse<Incident>> AddIncidentActionAsync(string program, string id, ActionItemBody body, CancellationToken ct = default) =>
        SendAsync<Incident>(HttpMethod.Post, ProgramPath(program, "incidents", id, "actions"), JsonBody(body), null, ct);

    public Task<ApiResponse<Incident>> ResolveIncidentActionAsync(string program, string id, string action, CancellationToken ct = default) =>
        SendAsync<Incident>(HttpMethod.Post, ProgramPath(program, "incidents", id, "actions", action, "resolve"), null, null, ct);

    public Task<ApiResponse<Incident>> ResolveIncidentAsync(string program, string id, string summary, CancellationToken ct = default) =>
        SendAsync<Incident>(HttpMethod.Post, ProgramPath(program, "incidents", id, "resolve"), JsonBody(new ResolveIncidentBody(summary)), null, ct);

    public Task<ApiResponse<Announcement>> AnnounceIncidentAsync(string program, string id, AnnounceBody body, CancellationToken ct = default) =>
        SendAsync<Announcement>(HttpMethod.Post, ProgramPath(program, "incidents", id, "announcements"), JsonBody(body), null, ct);

    public Task<ApiResponse<Incident>> CloseIncidentAsync(string program, string id, CancellationToken ct = default) =>
        SendAsync<Incident>(HttpMethod.Post, ProgramPath(program, "incidents", id, "close"), null, null, ct);

    // ---- tier-2 override grants ----------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<GrantView>>> ListGrantsAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<GrantView>>(ProgramPath(program, "override-grants"), ct);

    public Task<ApiResponse<GrantIssuedResponse>> IssueGrantAsync(string program, GrantBody body, CancellationToken ct = default) =>
        SendAsync<GrantIssuedResponse>(HttpMethod.Post, ProgramPath(program, "override-grants"), JsonBody(body), null, ct);

    public Task<ApiResponse<GrantRevokedResponse>> RevokeGrantAsync(string program, string id, string reason, CancellationToken ct = default) =>
        SendAsync<GrantRevokedResponse>(HttpMethod.Delete, ProgramPath(program, "override-grants", id), JsonBody(new RevokeGrantBody(reason)), null, ct);

    // ---- kill switches -------------------------------------------------------------------------

    /// <summary>201 → <see cref="ActivationCreated"/>; 202 (an ops lead's request) → <see cref="RequestCreated"/>: the raw body says which.</summary>
    public Task<ApiResponse<JsonElement>> ActivateKillSwitchAsync(string program, string level, ActivateBody body, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, ProgramPath(program, "kill-switches", level, "activations"), JsonBody(body), null, ct);

    public Task<ApiResponse<IReadOnlyList<ActivationView>>> ListKillSwitchesAsync(string program, bool all = false, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ActivationView>>(ProgramPath(program, "kill-switches") + (all ? "?all=true" : ""), ct);

    public Task<ApiResponse<ActivationView>> GetActivationAsync(string program, string level, string id, CancellationToken ct = default) =>
        GetAsync<ActivationView>(ProgramPath(program, "kill-switches", level, "activations", id), ct);

    public Task<ApiResponse<ActivationView>> DeactivateKillSwitchAsync(string program, string level, string id, string reason, CancellationToken ct = default) =>
        SendAsync<ActivationView>(HttpMethod.Delete, ProgramPath(program, "kill-switches", level, "activations", id), JsonBody(new DeactivateBody(reason)), null, ct);

    public Task<ApiResponse<IReadOnlyList<ActivationRequest>>> ListKillSwitchRequestsAsync(string program, bool all = false, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ActivationRequest>>(ProgramPath(program, "kill-switches", "requests") + (all ? "?all=true" : ""), ct);

    public Task<ApiResponse<ActivationCreated>> ApproveKillSwitchRequestAsync(string program, string request, CancellationToken ct = default) =>
        SendAsync<ActivationCreated>(HttpMethod.Post, ProgramPath(program, "kill-switches", "requests", request, "approve"), null, null, ct);

    // ---- freezes -------------------------------------------------------------------------------

    public Task<ApiResponse<Freeze>> StartFreezeAsync(string program, FreezeBody body, CancellationToken ct = default) =>
        SendAsync<Freeze>(HttpMethod.Post, ProgramPath(program, "freezes"), JsonBody(body), null, ct);

    public Task<ApiResponse<IReadOnlyList<Freeze>>> ListFreezesAsync(string program, bool all = false, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Freeze>>(ProgramPath(program, "freezes") + (all ? "?all=true" : ""), ct);

    public Task<ApiResponse<Freeze>> LiftFreezeAsync(string program, string id, string reason, CancellationToken ct = default) =>
        SendAsync<Freeze>(HttpMethod.Delete, ProgramPath(program, "freezes", id), JsonBody(new LiftFreezeBody(reason)), null, ct);

    public Task<ApiResponse<FreezeCheck>> CheckFreezesAsync(string program, string? scope = null, CancellationToken ct = default) =>
        GetAsync<FreezeCheck>("api/v1/freezes/active?program=" + Uri.EscapeDataString(program) + (scope is null ? "" : "&scope=" + Uri.EscapeDataString(scope)), ct);

    // ---- alerts --------------------------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<Alert>>> ListAlertsAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Alert>>("api/v1/programs/" + Uri.EscapeDataString(program) + "/alerts", ct);

    public Task<ApiResponse<Alert>> AcknowledgeAlertAsync(string program, string id, string reason, CancellationToken ct = default) =>
        SendAsync<Alert>(HttpMethod.Post, "api/v1/programs/" + Uri.EscapeDataString(program) + "/alerts/" + Uri.EscapeDataString(id) + "/ack",
            JsonBody(new AcknowledgeAlertBody(reason)), null, ct);

    // ---- guarded ramps -------------------------------------------------------------------------

    public Task<ApiResponse<RampStatusView>> GetRampAsync(string program, CancellationToken ct = default) =>
        GetAsync<RampStatusView>(ProgramPath(program, "ramps"), ct);

    public Task<ApiResponse<RampStatusView>> StartRampAsync(string program, CancellationToken ct = default) =>
        SendAsync<RampStatusView>(HttpMethod.Post, ProgramPath(program, "ramps"), null, null, ct);

    public Task<ApiResponse<RampStatusView>> PauseRampAsync(string program, string reason, CancellationToken ct = default) =>
        SendAsync<RampStatusView>(HttpMethod.Post, ProgramPath(program, "ramps", "pause"), JsonBody(new RampReasonBody(reason)), null, ct);

    public Task<ApiResponse<RampStatusView>> ResumeRampAsync(string program, CancellationToken ct = default) =>
        SendAsync<RampStatusView>(HttpMethod.Post, ProgramPath(program, "ramps", "resume"), null, null, ct);

    // ---- rollback ------------------------------------------------------------------------------

    public Task<ApiResponse<RollbackPlan>> PlanRollbackAsync(string program, long? to = null, bool keepKillSwitches = true, CancellationToken ct = default) =>
        GetAsync<RollbackPlan>(ProgramPath(program, "rollback", "plan") + Query(("to", to)) + (keepKillSwitches ? "" : (to is null ? "?" : "&") + "keepKillSwitches=false"), ct);

    public Task<ApiResponse<RollbackRun>> StartRollbackAsync(string program, StartRollbackBody body, CancellationToken ct = default) =>
        SendAsync<RollbackRun>(HttpMethod.Post, ProgramPath(program, "rollbacks"), JsonBody(body), null, ct);

    public Task<ApiResponse<RollbackRun>> GetRollbackAsync(string program, string id, CancellationToken ct = default) =>
        GetAsync<RollbackRun>(ProgramPath(program, "rollbacks", id), ct);

    public Task<ApiResponse<IReadOnlyList<RollbackRun>>> ListRollbacksAsync(string program, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<RollbackRun>>(ProgramPath(program, "rollbacks"), ct);

    public Task<ApiResponse<StageLock>> LiftStageLockAsync(string program, string reason, CancellationToken ct = default) =>
        SendAsync<StageLock>(HttpMethod.Delete, ProgramPath(program, "stage-lock"), JsonBody(new LiftStageLockBody(reason)), null, ct);

    // ---- forward fixes -------------------------------------------------------------------------

    public Task<ApiResponse<ForwardFixView>> OpenFixAsync(string program, OpenFixBody body, CancellationToken ct = default) =>
        SendAsync<ForwardFixView>(HttpMethod.Post, ProgramPath(program, "fixes"), JsonBody(body), null, ct);

    public Task<ApiResponse<ForwardFixView>> GetFixAsync(string program, string id, CancellationToken ct = default) =>
        GetAsync<ForwardFixView>(ProgramPath(program, "fixes", id), ct);

    public Task<ApiResponse<ForwardFixView>> MitigateFixAsync(string program, string id, MitigationBody body, CancellationToken ct = default) =>
        SendAsync<ForwardFixView>(HttpMethod.Post, ProgramPath(program, "fixes", id, "mitigations"), JsonBody(body), null, ct);

    public Task<ApiResponse<ForwardFixView>> PatchFixAsync(string program, string id, PatchBody body, CancellationToken ct = default) =>
        SendAsync<ForwardFixView>(HttpMethod.Post, ProgramPath(program, "fixes", id, "patch"), JsonBody(body), null, ct);

    public Task<ApiResponse<ForwardFixView>> SignOffFixAsync(string program, string id, FixSignoffBody body, CancellationToken ct = default) =>
        SendAsync<ForwardFixView>(HttpMethod.Post, ProgramPath(program, "fixes", id, "signoffs"), JsonBody(body), null, ct);

    /// <summary>The resume; a refusal is a 422 problem listing every missing criterion (<c>missing</c>, <c>criteria</c>).</summary>
    public Task<ApiResponse<ForwardFixView>> ResumeFixAsync(string program, string id, ResumeFixBody body, CancellationToken ct = default) =>
        SendAsync<ForwardFixView>(HttpMethod.Post, ProgramPath(program, "fixes", id, "resume"), JsonBody(body), null, ct);

    /// <summary>The incident's timeline as markdown (GET …/incidents/{id}/document).</summary>
    public Task<ApiResponse<string>> GetIncidentDocumentAsync(string program, string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, ProgramPath(program, "incidents", id, "document"), null, null, text => text, ct);

    // ---- reviews -------------------------------------------------------------------------------

    public Task<ApiResponse<IReadOnlyList<PostActionReview>>> ListReviewsAsync(bool? open = null, string? program = null, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (open is { } o)
        {
            query.Add("open=" + (o ? "true" : "false"));
        }
        if (program is not null)
        {
            query.Add("program=" + Uri.EscapeDataString(program));
        }
        return GetAsync<IReadOnlyList<PostActionReview>>("api/v1/reviews" + (query.Count == 0 ? "" : "?" + string.Join('&', query)), ct);
    }

    public Task<ApiResponse<PostActionReview>> GetReviewAsync(string id, CancellationToken ct = default) =>
        GetAsync<PostActionReview>("api/v1/reviews/" + Uri.EscapeDataString(id), ct);

    public Task<ApiResponse<PostActionReview>> CompleteReviewAsync(string id, string findings, CancellationToken ct = default) =>
        SendAsync<PostActionReview>(HttpMethod.Post, "api/v1/reviews/" + Uri.EscapeDataString(id) + "/complete", JsonBody(new CompleteReviewBody(findings)), null, ct);

    /// <summary>GET /readyz: whether the server can take writes (no token needed). A 503 throws, as any refusal does.</summary>
    public Task<ApiResponse<JsonElement>> ReadyAsync(CancellationToken ct = default) => GetAsync<JsonElement>("readyz", ct);

    private Task<ApiResponse<T>> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, null, null, ct);

    private Task<ApiResponse<T>> SendAsync<T>(HttpMethod method, string path, HttpContent? content, long? ifMatch, CancellationToken ct) =>
        SendAsync(method, path, content, ifMatch, text => JsonSerializer.Deserialize<T>(text, Json) ?? throw new JsonException("the body is null"), ct);

    private async Task<ApiResponse<T>> SendAsync<T>(HttpMethod method, string path, HttpContent? content, long? ifMatch,
        Func<string, T> read, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(Server, path)) { Content = content };
        request.Headers.Authorization = _authorization;
        if (ifMatch is long revision)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{revision.ToString(CultureInfo.InvariantCulture)}\"");
        }
        int status;
        string body;
        EntityTagHeaderValue? etag;
        try
        {
            using var response = await _http.SendAsync(request, ct);
            status = (int)response.StatusCode;
            etag = response.Headers.ETag;
            body = await response.Content.ReadAsStringAsync(ct);
        }
        catch (HttpRequestException ex)
        {
            throw new RipcordUnreachableException(Server, $"cannot reach {Server}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new RipcordUnreachableException(Server, $"{Server} did not answer within {_http.Timeout.TotalSeconds:0} s", ex);
        }
        if (status is < 200 or > 299)
        {
            throw RipcordApiException.FromResponse(status, body);
        }
        T value;
        try
        {
            value = read(body);
        }
        catch (JsonException ex)
        {
            throw RipcordApiException.Unreadable(status, ex.Message);
        }
        return new ApiResponse<T>(value, body, RevisionOf(etag), status);
    }

    private static StringContent JsonBody<T>(T body) =>
        new(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json");

    private static string ProgramPath(string program, params string[] rest) =>
        "api/v1/programs/" + string.Join('/', rest.Prepend(program).Select(Uri.EscapeDataString));

    private static string Query(params (string Name, long? Value)[] parameters)
    {
        var given = parameters.Where(p => p.Value is not null)
            .Select(p => $"{p.Name}={p.Value!.Value.ToString(CultureInfo.InvariantCulture)}").ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }

    // ETag: "7" (or W/"7"): the revision the answer reflects.
    private static long? RevisionOf(EntityTagHeaderValue? etag) =>
        etag is not null && long.TryParse(etag.Tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var revision)
            ? revision
            : null;

    private static AuthenticationHeaderValue? Authorization(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        // Checked here so that a pasted token with a line break fails with words, and never with
        // an HTTP-layer message that would echo the header — and so the secret.
        if (token.Any(c => c <= ' ' || c >= (char)127))
        {
            throw new ArgumentException("the token contains blanks, line breaks or other characters a bearer token cannot have", nameof(token));
        }
        return new AuthenticationHeaderValue("Bearer", token);
    }

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
