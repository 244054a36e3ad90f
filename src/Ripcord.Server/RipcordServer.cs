using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Server.Alerts;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Cohorts;
using Ripcord.Server.Ui;
using Ripcord.Server.Evaluation;
using Ripcord.Server.Grants;
using Ripcord.Server.Http;
using Ripcord.Server.Incidents;
using Ripcord.Server.KillSwitches;
using Ripcord.Server.Overrides;
using Ripcord.Server.Programs;
using Ripcord.Server.Ramps;
using Ripcord.Server.Revisions;
using Ripcord.Server.Rollback;
using Ripcord.Server.Stages;
using Ripcord.Server.Storage;
using Ripcord.Server.Streaming;
using Ripcord.Server.Telemetry;
using Ripcord.Server.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Ripcord.Server.Webhooks;

namespace Ripcord.Server;

/// <summary>How to start a server: where data lives, which address, which admin token.</summary>
public sealed record ServerOptions
{
    public string DataDirectory { get; init; } = "./ripcord-data";
    public string? PostgresConnectionString { get; init; }
    public string Urls { get; init; } = "http://127.0.0.1:7070";
    public string? AdminToken { get; init; }
    /// <summary>Failed authentications one client address may make per second, sustained, before it is answered 429.</summary>
    public int FailedAuthenticationsPerSecond { get; init; } = 20;
    /// <summary>Failed authentications one client address may make in a burst.</summary>
    public int FailedAuthenticationsBurst { get; init; } = 100;
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    /// <summary>Called with a freshly generated admin token, which is shown once and never again.</summary>
    public Action<string>? OnAdminTokenGenerated { get; init; }
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;
    /// <summary>How long an idle SDK stream waits before a comment frame keeps proxies and clients sure it is alive.</summary>
    public TimeSpan StreamHeartbeat { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>
    /// How long one piece of a stream frame may wait for the client to take it. A client that reads
    /// nothing for this long is disconnected (and counted): it resumes with Last-Event-ID when it reads again.
    /// </summary>
    public TimeSpan StreamWriteTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// The kernel send buffer of each SDK stream's socket (Linux doubles it). Fixed rather than auto-tuned
    /// (up to 4 MB a socket), so a client that stops reading pins little and its writes stall — and time out — soon.
    /// </summary>
    public int StreamSendBufferBytes { get; init; } = 128 * 1024;
    /// <summary>Per-key rate, instance cap, retention, store cap and reserved disk space for SDK telemetry.</summary>
    public TelemetryLimits Telemetry { get; init; } = new();
    /// <summary>
    /// Set when one process hosts several servers (tests, harnesses): each then exports only its own instruments,
    /// under a meter of its own. A listener such as OpenTelemetry's sees every meter of a name in the process.
    /// </summary>
    public string? MeterScope { get; init; }
    /// <summary>SQLite only: space kept in a preallocated file so the server can start on a volume filled to the last byte (<see cref="ReservedSpace"/>); 0 for none.</summary>
    public long ReservedSpaceBytes { get; init; } = ReservedSpace.DefaultBytes;
    /// <summary>How often every alert rule is evaluated (on <see cref="Clock"/>); zero or less: only when asked (tests, harnesses).</summary>
    public TimeSpan AlertInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a rollback's verification waits for the SDK instances connected at the revert to apply its revision.</summary>
    public TimeSpan RollbackVerifyWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How often a node re-reads what other nodes sharing its database wrote: each program's head revision (published to its
    /// SDK streams and open dashboards) and revoked tokens. A change made on another node reaches this node's clients within it.
    /// </summary>
    public TimeSpan StorageRefreshInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>How long a dashboard sign-in lasts (the session cookie's expiry); sign in again after it.</summary>
    public TimeSpan DashboardSessionLifetime { get; init; } = TimeSpan.FromHours(8);
}

/// <summary>What /healthz and /readyz answer when all is well.</summary>
public sealed record Health(string Status);

public static class RipcordServer
{
    /// <summary>Builds the server; call <see cref="InitializeAsync"/> before starting it.</summary>
    public static WebApplication Build(ServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(RipcordServer).Assembly.GetName().Name });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // DbUp says "no new scripts" at every start; Ripcord logs what it migrated itself.
        builder.Logging.AddFilter("DbUp", LogLevel.Warning);
        // ASP.NET's authentication handler logs every unauthenticated request; FailedAuthentications logs them sampled.
        builder.Logging.AddFilter(typeof(BearerTokenAuthentication).FullName, LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(options.Clock);
        // Made by a factory so the container owns the databases and disposes them (the PostgreSQL pools) on shutdown.
        services.AddSingleton(sp =>
        {
            var logs = sp.GetRequiredService<ILoggerFactory>();
            var observer = sp.GetService<IWriteObserver>();
            return options.PostgresConnectionString is { } pg
                ? Databases.Postgres(pg, logs, observer)
                : Databases.Sqlite(options.DataDirectory, logs, observer, options.ReservedSpaceBytes);
        });
        services.AddSingleton<ReadinessProbe>();
        services.AddSingleton<IRevisionStore, RevisionStore>();
        services.AddSingleton<RevisionLog>();
        services.AddSingleton<IAuditLog, AuditStore>();
        services.AddSingleton<ITokenStore, TokenStore>();
        services.AddSingleton<ITelemetryStore, TelemetryStore>();
        services.AddSingleton<TelemetryAggregates>();
        services.AddSingleton<TelemetryAggregation>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryAggregation>());
        services.AddSingleton<ITelemetryFigures, AggregatedTelemetryFigures>();
        services.AddSingleton<TelemetryStats>();
        services.AddSingleton<TelemetryWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryWriter>());
        services.AddSingleton<TelemetryRateLimiter>();
        services.AddSingleton<TelemetryCapacity>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryCapacity>());
        services.AddSingleton<ClientRegistry>();
        services.AddSingleton<StreamHub>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<FailedAuthentications>();
        services.AddSingleton<DenialAudit>();
        services.AddSingleton<ProgramRegistry>();
        services.AddSingleton<ProgramWriter>();
        services.AddSingleton<OverridePermission>();
        services.AddSingleton<OverrideService>();
        services.AddSingleton<MetricsService>();
        services.AddSingleton<IWebhookStore, WebhookStore>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        // Receivers are not trusted: a short timeout, and no redirects (a 3xx is a failed attempt, not a hop elsewhere).
        services.AddHttpClient(WebhookDispatcher.HttpClientName, c => c.Timeout = WebhookDispatcher.Timeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
            .RemoveAllLoggers(); // its request lines would log each receiver's full URL, which may carry a token
        services.AddHostedService<StorageRefreshService>();
        services.AddSingleton<WorkflowDocs>();
        services.AddSingleton<IncidentService>();
        services.AddSingleton<ReviewService>();
        services.AddSingleton<Announcer>();
        services.AddSingleton<FreezeService>();
        services.AddSingleton<VerificationRecorder>();
        services.AddSingleton<VerificationTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<VerificationTracker>());
        services.AddSingleton<KillSwitchService>();
        services.AddSingleton<ServerMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<ServerMetrics>());
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("ripcord"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ServerMetrics.MeterNameFor(options), FailedAuthentications.MeterName, "Microsoft.AspNetCore.Hosting")
                    // ASP.NET Core's own request histogram, under Ripcord's name, with bounded labels (no path, no client).
                    .AddView("http.server.request.duration", new ExplicitBucketHistogramConfiguration
                    {
                        Name = "ripcord.http.server.request.duration",
                        TagKeys = ["http.request.method", "http.route", "http.response.status_code"],
                        Boundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
                    })
                    .AddView(instrument => instrument.Meter.Name == "Microsoft.AspNetCore.Hosting"
                        && instrument.Name != "http.server.request.duration" ? MetricStreamConfiguration.Drop : null)
                    .AddPrometheusExporter();
                // The standard switch: with an OTLP endpoint configured, the same metrics are pushed there too.
                if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 })
                {
                    metrics.AddOtlpExporter();
                }
            });
        services.AddSingleton<GateStore>();
        services.AddSingleton<KnownSafeStore>();
        services.AddSingleton<RevisionService>();
        services.AddSingleton<GateService>();
        services.AddSingleton<AlertStore>();
        services.AddSingleton<AlertService>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertService>());
        services.AddSingleton<RampStore>();
        services.AddSingleton<RampService>();
        services.AddHostedService(sp => sp.GetRequiredService<RampService>());
        services.AddSingleton<StageLocks>();
        services.AddSingleton<RollbackService>();
        services.AddSingleton<ForwardFixService>();
        services.AddHostedService<RollbackResumer>();
        services.AddSingleton<IncidentDocuments>();
        services.AddSingleton<DashboardSessions>();
        services.AddSingleton<DashboardViews>();
        // The dashboard's antiforgery tokens: their keys live in the shared configuration database, like its sessions, so
        // any node accepts a form another rendered, and no key files are written.
        services.AddDataProtection().SetApplicationName("ripcord");
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>>(provider =>
            new ConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(o =>
                o.XmlRepository = new DatabaseKeyRepository(provider.GetRequiredService<Databases>(), provider.GetRequiredService<TimeProvider>())));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "ripcord_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__csrf";
        });
        services.AddProblemDetails();
        services.AddRipcordOpenApi();
        services.ConfigureHttpJsonOptions(json => RequestReading.Configure(json.SerializerOptions));

        services.AddAuthentication(BearerTokenAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenAuthentication>(BearerTokenAuthentication.SchemeName, null);
        services.AddAuthorization(auth =>
        {
            foreach (var permission in RoleMatrix.Allowed.Keys)
            {
                auth.AddPolicy(RoleMatrix.PolicyName(permission), p => p.RequireAuthenticatedUser().RequireRole(RoleMatrix.RoleNames(permission)));
            }
        });
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        // A body or parameter that cannot be bound throws, and ErrorHandling answers with what was wrong, as problem details.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        configure?.Invoke(builder);
        var app = builder.Build();

        app.UseProblemErrors();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapGet("/healthz", () => TypedResults.Ok(new Health("live")))
            .WithTags("Health").WithName("Live").WithSummary("The process is up").AllowAnonymous();
        app.MapGet("/readyz", async Task<Results<Ok<Health>, ProblemHttpResult>> (ReadinessProbe probe, CancellationToken ct) =>
                await probe.CheckAsync(ct) is { } why
                    ? Problems.Result(StatusCodes.Status503ServiceUnavailable, "Not ready", $"the configuration store is not writable: {why}")
                    : TypedResults.Ok(new Health("ready")))
            .WithTags("Health").WithName("Ready").WithSummary("The configuration store takes a write").ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous();
        app.MapOfrep();
        // Prometheus text format; scraped with any person's token (a viewer's is enough): labels carry no user data.
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(new HttpMethodMetadata(["GET"]))
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ConfigRead))
            .WithTags("Health").WithName("Metrics").WithSummary("Server and telemetry metrics in Prometheus text format");

        var api = app.MapGroup("/api/v1").AddEndpointFilter<DomainErrorFilter>();
        api.MapPrograms().MapCohorts().MapOverrides().MapStages().MapEvaluate().MapRevisions().MapAudit().MapTokens()
            .MapStreaming().MapTelemetry().MapMetrics().MapOverrideGrants()
            .MapIncidents().MapKillSwitches().MapReviews().MapFreezes().MapWebhooks().MapGates().MapAlerts()
            .MapRamps().MapRollbacks().MapForwardFixes();
        app.MapDashboard();
        return app;
    }

    /// <summary>Creates the schema, loads every program, installs the built-in <c>groups</c>, makes sure an admin exists.</summary>
    public static async Task InitializeAsync(WebApplication app, CancellationToken ct = default)
    {
        var options = app.Services.GetRequiredService<ServerOptions>();
        await app.Services.GetRequiredService<Databases>().MigrateAsync(ct);
        var registry = app.Services.GetRequiredService<ProgramRegistry>();
        app.Services.GetRequiredService<StreamHub>(); // subscribe before the first publish, so deltas start at once
        await registry.RefreshAsync(ct);
        if (!registry.TryGet("groups", out _))
        {
            var result = DefinitionReader.Read(BuiltInGroupsYaml());
            if (!result.IsValid)
            {
                throw new InvalidOperationException("the built-in groups definition is invalid: " + string.Join("; ", result.Errors));
            }
            try
            {
                await app.Services.GetRequiredService<ProgramWriter>().ExecuteAsync("groups", new ApplyDefinition(result.Definition!), Actor.System, 0, ct);
            }
            catch (RevisionConflictException)
            {
                // Another node installed it first.
                await registry.RefreshAsync(ct);
            }
        }
        var bootstrap = await app.Services.GetRequiredService<TokenService>().BootstrapAdminAsync(options.AdminToken, ct);
        if (bootstrap.GeneratedSecret is { } generated)
        {
            options.OnAdminTokenGenerated?.Invoke(generated);
        }
        if (bootstrap.ReplacedTokenIds.Count > 0)
        {
            app.Logger.LogWarning("RIPCORD_ADMIN_TOKEN changed: it replaces the previous bootstrap token ({Tokens}), which is now revoked",
                string.Join(", ", bootstrap.ReplacedTokenIds));
        }
    }

    public static string BuiltInGroupsYaml() => BuiltInPrograms.GroupsYaml;

}
