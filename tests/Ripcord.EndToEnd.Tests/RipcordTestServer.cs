using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Server;

namespace Ripcord.EndToEnd.Tests;

/// <summary>
/// A real Ripcord server on 127.0.0.1 with a kernel-chosen port and a SQLite store in a
/// temporary directory, plus an admin client. Disposing stops it and deletes the directory.
/// </summary>
public sealed class RipcordTestServer : IAsyncDisposable
{
    public const string AdminToken = "e2e-admin-token-0123456789abcdef";

    private readonly WebApplication _app;
    private readonly string _directory;

    private RipcordTestServer(WebApplication app, string directory, Uri baseAddress)
    {
        _app = app;
        _directory = directory;
        BaseAddress = baseAddress;
        Admin = NewClient(AdminToken);
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The same address without the trailing slash, as OFREP providers take it.</summary>
    public string Url => BaseAddress.ToString().TrimEnd('/');

    public HttpClient Admin { get; }

    public static async Task<RipcordTestServer> StartAsync(TimeProvider? clock = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "ripcord-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var app = RipcordServer.Build(new ServerOptions
        {
            DataDirectory = directory,
            Urls = "http://127.0.0.1:0",
            AdminToken = AdminToken,
            Clock = clock ?? TimeProvider.System,
        });
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await RipcordServer.InitializeAsync(app, startup.Token);
        await app.StartAsync(startup.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        var uri = new Uri(address.EndsWith('/') ? address : address + "/");
        if (!uri.IsLoopback)
        {
            throw new InvalidOperationException($"the test server bound {uri}, which is not loopback");
        }
        return new RipcordTestServer(app, directory, uri);
    }

    public HttpClient NewClient(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>Creates a token with the given role through the REST API and returns its secret.</summary>
    public async Task<string> CreateTokenAsync(string role, string? name = null)
    {
        using var response = await Admin.PostAsJsonAsync("api/v1/tokens", new { name = name ?? $"e2e {role}", role });
        await EnsureAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (string)body!["token"]!;
    }

    public async Task PutJsonAsync(string path, object body)
    {
        using var response = await Admin.PutAsJsonAsync(path, body);
        await EnsureAsync(response);
    }

    public async Task PostJsonAsync(string path, object body)
    {
        using var response = await Admin.PostAsJsonAsync(path, body);
        await EnsureAsync(response);
    }

    public async Task ApplyDefinitionAsync(string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var response = await Admin.PostAsync("api/v1/definitions", content);
        await EnsureAsync(response);
    }

    /// <summary>POST /api/v1/programs/{program}/evaluate — the REST answer OFREP is held to.</summary>
    public async Task<JsonObject> RestEvaluateAsync(HttpClient client, string program, JsonObject restContext)
    {
        using var response = await client.PostAsJsonAsync($"api/v1/programs/{program}/evaluate", new JsonObject { ["context"] = restContext });
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new HttpRequestException($"{(int)response.StatusCode} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
        }
    }

    /// <summary>
    /// The REST evaluate body for an OpenFeature context, mapped the way SPEC §10 says OFREP maps
    /// it: targetingKey → userId; workspaceId, tier as such; program dropped; the rest attributes.
    /// </summary>
    public static JsonObject ToRestContext(JsonObject openFeatureContext)
    {
        var rest = new JsonObject();
        var attributes = new JsonObject();
        foreach (var (name, value) in openFeatureContext)
        {
            switch (name)
            {
                case "targetingKey":
                    rest["userId"] = value?.DeepClone();
                    break;
                case "workspaceId":
                case "tier":
                    rest[name] = value?.DeepClone();
                    break;
                case "program":
                    break;
                default:
                    attributes[name] = value?.DeepClone();
                    break;
            }
        }
        if (attributes.Count > 0)
        {
            rest["attributes"] = attributes;
        }
        return rest;
    }

    public static JsonObject Parse(string json) =>
        JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
        ?? throw new InvalidOperationException("expected a JSON object: " + json);

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

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
