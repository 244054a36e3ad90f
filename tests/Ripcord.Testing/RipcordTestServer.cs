using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Ripcord.Cli.Api;
using Ripcord.Core.Changes;
using Ripcord.Server;
using Ripcord.Server.Auth;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;
using Ripcord.Server.Telemetry;

namespace Ripcord.Testing;

/// <summary>
/// One Ripcord server per test, used by the server, SDK and end-to-end tests and the bench
/// harnesses: a real Kestrel on a loopback port the kernel chooses (kept across restarts), a fresh
/// data directory (or PostgreSQL schema), a known admin token, a fake clock unless a real one is
/// asked for, and clients per role. Nothing is shared between tests, so they run in any order and
/// in parallel. <see cref="StopAsync"/> and <see cref="StartAgainAsync"/> take it down and bring it
/// back on the same port and data, as an outage would.
/// </summary>
public sealed class RipcordTestServer : IAsyncDisposable
{
    public const string AdminToken = "rc_test_admin_token_0123456789abcdef";

    /// <summary>Where every fake test clock starts: a fixed instant, so expiry arithmetic is exact.</summary>
    public static readonly DateTimeOffset Epoch = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly bool _deleteDataDirectory;
    private readonly ServerOptions _options;
    private readonly Action<WebApplicationBuilder>? _configure;
    private readonly Action<WebApplication>? _beforeStart;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal) { ["admin"] = AdminToken };
    private WebApplication? _app;

    private RipcordTestServer(ServerOptions options, Action<WebApplicationBuilder>? configure, Action<WebApplication>? beforeStart, bool deleteDataDirectory)
    {
        _options = options;
        _configure = configure;
        _beforeStart = beforeStart;
        _deleteDataDirectory = deleteDataDirectory;
        DataDirectory = options.DataDirectory;
        Time = options.Clock;
    }

    /// <summary>The running application (after a restart, the new one).</summary>
    public WebApplication App => _app ?? throw new InvalidOperationException("the server is stopped");

    /// <summary>The fake clock the server runs on; throws when it was started on a real one.</summary>
    public FakeTimeProvider Clock => Time as FakeTimeProvider ?? throw new InvalidOperationException("this server runs on a real clock");

    /// <summary>The server's clock, fake or real.</summary>
    public TimeProvider Time { get; }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The same address without the trailing slash, as OFREP providers and SDK options take it.</summary>
    public string Url => BaseAddress.ToString().TrimEnd('/');

    public int Port => BaseAddress.Port;
    public string DataDirectory { get; }
    public bool Running => _app is not null;

    /// <summary>A client with no default credentials: every request names its token.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>A client that sends the admin token.</summary>
    public HttpClient Admin { get; private set; } = null!;

    public IServiceProvider Services => App.Services;

    public static Task<RipcordTestServer> StartAsync(string? postgresConnectionString = null, Func<ServerOptions, ServerOptions>? customize = null,
        bool deleteDataDirectory = true, Action<WebApplicationBuilder>? configure = null, TimeProvider? clock = null,
        Action<WebApplication>? beforeStart = null)
    {
        var directory = TestPaths.NewDataDirectory("server");
        var options = new ServerOptions
        {
            DataDirectory = directory,
            PostgresConnectionString = postgresConnectionString,
            Urls = "http://127.0.0.1:0",
            AdminToken = AdminToken,
            Clock = clock ?? new FakeTimeProvider(Epoch),
            // Test data lives on /dev/shm, which a container may cap at 64 MB: below the production reserve, every
            // telemetry post would be refused. Tests of the reserve set their own.
            Telemetry = new TelemetryLimits { ReservedFreeBytes = 0 },
            ReservedSpaceBytes = 0, // likewise; FullDiskTests set it
            MeterScope = Guid.NewGuid().ToString("N"), // many servers share a test process: each exports only its own metrics
        };
        options = customize?.Invoke(options) ?? options;
        if (options.DataDirectory != directory)
        {
            TestPaths.TryDelete(directory);
        }
        return StartAsync(new RipcordTestServer(options, configure, beforeStart, deleteDataDirectory));
    }

    private static async Task<RipcordTestServer> StartAsync(RipcordTestServer server)
    {
        try
        {
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>: same port, same data).</summary>
    public async Task StartAgainAsync()
    {
        if (_app is not null)
        {
            return;
        }
        var options = BaseAddress is null ? _options : _options with { Urls = $"http://127.0.0.1:{Port}" };
        var app = RipcordServer.Build(options, builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            _configure?.Invoke(builder);
        });
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await RipcordServer.InitializeAsync(app, cts.Token);
            _beforeStart?.Invoke(app); // e.g. a harness's own endpoints
            await app.StartAsync(cts.Token);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.Single()
            ?? throw new InvalidOperationException("the server reports no addresses");
        var uri = new Uri(address.EndsWith('/') ? address : address + "/");
        if (uri.Host != "127.0.0.1" || uri.Port == 0)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"expected a bound loopback address, got {address}");
        }
        _app = app;
        if (BaseAddress is null)
        {
            BaseAddress = uri;
            Http = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(60) };
            Admin = NewClient(AdminToken);
        }
    }

    /// <summary>Takes the server down (every SDK stream drops); the data and port stay for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is not { } app)
        {
            return;
        }
        _app = null;
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await app.StopAsync(cts.Token);
        }
        // The host owns the databases and disposes them (PostgreSQL's pools) here.
        await app.DisposeAsync();
        // Pooled SQLite connections would keep the files open (deleted or not) until the test run ends.
        foreach (var file in new[] { Databases.ConfigFile, Databases.TelemetryFile })
        {
            using var pooled = new SqliteConnection(SqliteDatabase.ConnectionString(Path.Combine(DataDirectory, file)));
            SqliteConnection.ClearPool(pooled);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http?.Dispose();
        Admin?.Dispose();
        if (_deleteDataDirectory)
        {
            TestPaths.TryDelete(DataDirectory);
        }
    }

    // ---- clients ---------------------------------------------------------------------------

    /// <summary>A client of its own that sends <paramref name="token"/> (none when null).</summary>
    public HttpClient NewClient(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>A token of <paramref name="role"/>, minted once per server and role.</summary>
    public async Task<string> TokenAsync(string role)
    {
        if (!_tokens.TryGetValue(role, out var token))
        {
            token = (await MintTokenAsync(role)).Secret;
            _tokens[role] = token;
        }
        return token;
    }

    /// <summary>The typed API client the CLI uses, as <paramref name="role"/> (a token minted on first use).</summary>
    public async Task<RipcordApiClient> ApiAsync(string role = "admin") => new(Http, await TokenAsync(role));

    // ---- requests --------------------------------------------------------------------------

    public static HttpContent Json(object body) =>
        new StringContent(body as string ?? JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");

    public static HttpContent Yaml(string yaml) => new StringContent(yaml, Encoding.UTF8, "application/yaml");

    public static HttpRequestMessage Request(HttpMethod method, string path, string? token, HttpContent? content = null, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            return await Http.SendAsync(request);
        }
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = AdminToken, object? json = null, string? ifMatch = null) =>
        SendAsync(Request(method, path, token, json is null ? null : Json(json), ifMatch));

    /// <summary>Sends as admin and insists on success; returns the JSON body.</summary>
    public async Task<JsonElement> OkAsync(HttpMethod method, string path, object? json = null, string? ifMatch = null, string token = AdminToken)
    {
        using var response = await SendAsync(method, path, token, json, ifMatch);
        return await ApiAssert.SuccessJsonAsync(response);
    }

    public Task<JsonElement> GetAsync(string path, string token = AdminToken) => OkAsync(HttpMethod.Get, path, token: token);

    // ---- tokens ----------------------------------------------------------------------------

    /// <summary>Mints a token of <paramref name="role"/> through the API, as admin.</summary>
    public async Task<MintedToken> MintTokenAsync(string role, string? name = null)
    {
        var created = await OkAsync(HttpMethod.Post, "/api/v1/tokens", new { name = name ?? $"test {role}", role });
        return new MintedToken(created.GetProperty("id").GetString()!, created.GetProperty("token").GetString()!, role);
    }

    public async Task<IReadOnlyDictionary<string, string>> MintTokensAsync(IEnumerable<string> roles)
    {
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var role in roles)
        {
            tokens[role] = role == "admin" ? AdminToken : (await MintTokenAsync(role)).Secret;
        }
        return tokens;
    }

    /// <summary>Creates a token with the given role through the REST API and returns its secret.</summary>
    public async Task<string> CreateTokenAsync(string role, string? name = null) => (await MintTokenAsync(role, name)).Secret;

    /// <summary>The repository root (where Ripcord.slnx is), found from the test's output directory.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ripcord.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Ripcord.slnx not found above " + AppContext.BaseDirectory);
    }

    // ---- program state ---------------------------------------------------------------------

    public async Task<long> HeadAsync(string program = "groups", string token = AdminToken) =>
        (await GetAsync($"/api/v1/programs/{program}", token)).GetProperty("revision").GetInt64();

    public async Task<long> PutCohortAsync(string id, object body) =>
        (await OkAsync(HttpMethod.Put, $"/api/v1/programs/groups/cohorts/{id}", body)).GetProperty("revision").GetInt64();

    /// <summary>
    /// Test setup for tests about something else: puts the program at a stage through the one write path, as the
    /// server's own actor, past the stage gates (PUT …/stage now only freezes, or is an admin's break-glass move,
    /// which opens a post-action review; tests/Ripcord.Server.Tests/Gates covers the gates and break-glass).
    /// </summary>
    public async Task<long> SetStageAsync(object stage, string program = "groups") =>
        (await Services.GetRequiredService<ProgramWriter>().ExecuteAsync(program,
            new SetStage(Convert.ToString(stage, System.Globalization.CultureInfo.InvariantCulture)!), Actor.System, null, CancellationToken.None)).Revision;

    public async Task<JsonElement> SetOverrideAsync(string flag, string scope, bool value, DateTimeOffset? expiresAt = null, string reason = "test") =>
        await OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", new { flag, scope, value, reason, expiresAt });

    public async Task<Evaluated> EvaluateAsync(string? workspaceId = null, string? userId = null, int? tier = null, string token = AdminToken)
    {
        var body = await OkAsync(HttpMethod.Post, "/api/v1/programs/groups/evaluate",
            new { context = new { workspaceId, userId, tier } }, token: token);
        return Evaluated.From(body);
    }

    public async Task<IReadOnlyList<JsonElement>> AuditAfterAsync(long afterSeq, string token = AdminToken)
    {
        var entries = new List<JsonElement>();
        var after = afterSeq;
        while (true)
        {
            var page = await GetAsync($"/api/v1/audit?after={after}&limit=1000", token);
            var batch = page.GetProperty("entries").EnumerateArray().ToList();
            entries.AddRange(batch);
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null || batch.Count == 0)
            {
                return entries;
            }
            after = page.GetProperty("next").GetInt64();
        }
    }

    public async Task<long> AuditHeadAsync()
    {
        var all = await AuditAfterAsync(0);
        return all.Count == 0 ? 0 : all[^1].GetProperty("seq").GetInt64();
    }
}

public sealed record MintedToken(string Id, string Secret, string Role);
