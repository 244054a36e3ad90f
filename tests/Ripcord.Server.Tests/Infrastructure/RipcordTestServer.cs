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
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.Infrastructure;

/// <summary>
/// One Ripcord server per test: a fresh data directory (or PostgreSQL schema), a real Kestrel
/// on a loopback port chosen by the OS, a known admin token and a fake clock. Nothing is shared
/// between tests, so they run in any order and in parallel.
/// </summary>
public sealed class RipcordTestServer : IAsyncDisposable
{
    public const string AdminToken = "rc_test_admin_token_0123456789abcdef";

    /// <summary>Where every test clock starts: a fixed instant, so expiry arithmetic is exact.</summary>
    public static readonly DateTimeOffset Epoch = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly bool _deleteDataDirectory;

    private RipcordTestServer(WebApplication app, FakeTimeProvider clock, Uri baseAddress, string dataDirectory, bool deleteDataDirectory)
    {
        _deleteDataDirectory = deleteDataDirectory;
        App = app;
        Clock = clock;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }
    public FakeTimeProvider Clock { get; }
    public Uri BaseAddress { get; }
    public string DataDirectory { get; }
    /// <summary>A client with no default credentials: every request names its token.</summary>
    public HttpClient Http { get; }
    public IServiceProvider Services => App.Services;

    public static async Task<RipcordTestServer> StartAsync(string? postgresConnectionString = null, Func<ServerOptions, ServerOptions>? customize = null,
        bool deleteDataDirectory = true, Action<WebApplicationBuilder>? configure = null)
    {
        var directory = TestPaths.NewDataDirectory("server");
        var clock = new FakeTimeProvider(Epoch);
        var options = new ServerOptions
        {
            DataDirectory = directory,
            PostgresConnectionString = postgresConnectionString,
            Urls = "http://127.0.0.1:0",
            AdminToken = AdminToken,
            Clock = clock,
        };
        options = customize?.Invoke(options) ?? options;
        if (options.DataDirectory != directory)
        {
            TestPaths.TryDelete(directory);
            directory = options.DataDirectory;
        }
        var app = RipcordServer.Build(options, builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            configure?.Invoke(builder);
        });
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await RipcordServer.InitializeAsync(app, cts.Token);
            await app.StartAsync(cts.Token);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                ?? throw new InvalidOperationException("the server reports no addresses");
            var address = addresses.Single();
            var uri = new Uri(address);
            if (uri.Host != "127.0.0.1" || uri.Port == 0)
            {
                throw new InvalidOperationException($"expected a bound loopback address, got {address}");
            }
            return new RipcordTestServer(app, clock, uri, directory, deleteDataDirectory);
        }
        catch
        {
            await app.DisposeAsync();
            if (deleteDataDirectory)
            {
                TestPaths.TryDelete(directory);
            }
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await App.StopAsync(cts.Token);
        }
        // The host owns the store and disposes it (PostgreSQL's pool) here.
        await App.DisposeAsync();
        // Pooled SQLite connections would keep the files open (deleted or not) until the test run ends.
        foreach (var file in new[] { Databases.ConfigFile, Databases.TelemetryFile })
        {
            using var pooled = new SqliteConnection(SqliteDatabase.ConnectionString(Path.Combine(DataDirectory, file)));
            SqliteConnection.ClearPool(pooled);
        }
        if (_deleteDataDirectory)
        {
            TestPaths.TryDelete(DataDirectory);
        }
    }

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

    // ---- program state ---------------------------------------------------------------------

    public async Task<long> HeadAsync(string program = "groups", string token = AdminToken) =>
        (await GetAsync($"/api/v1/programs/{program}", token)).GetProperty("revision").GetInt64();

    public async Task<long> PutCohortAsync(string id, object body) =>
        (await OkAsync(HttpMethod.Put, $"/api/v1/programs/groups/cohorts/{id}", body)).GetProperty("revision").GetInt64();

    public async Task<long> SetStageAsync(object stage) =>
        (await OkAsync(HttpMethod.Put, "/api/v1/programs/groups/stage", new { stage })).GetProperty("revision").GetInt64();

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
