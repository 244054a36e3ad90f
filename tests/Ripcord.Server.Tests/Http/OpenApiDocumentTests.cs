using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ripcord.Server.Tests.Http;

/// <summary>
/// /openapi/v1.json describes every endpoint — name, summary, tag, request body, success body and
/// every problem-details error — and docs/openapi.json is that document: a change to the API that
/// is not reflected in the committed file fails here. To accept a deliberate change:
/// <c>RIPCORD_UPDATE_OPENAPI=1 dotnet test tests/Ripcord.Server.Tests --filter OpenApiDocument</c>.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private async Task<JsonNode> DocumentAsync()
    {
        using var response = await _server.SendAsync(HttpMethod.Get, "/openapi/v1.json", token: null);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static string CommittedPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Ripcord.slnx")))
        {
            directory = directory.Parent;
        }
        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("no Ripcord.slnx above the test directory"), "docs", "openapi.json");
    }

    [Fact]
    public async Task TheCommittedDocument_IsWhatTheServerServes()
    {
        var served = (await DocumentAsync()).ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
        var path = CommittedPath();
        if (Environment.GetEnvironmentVariable("RIPCORD_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served);
        }
        var committed = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : "(missing)";
        Assert.True(committed == served,
            "docs/openapi.json differs from what the server serves at /openapi/v1.json. If the API change is deliberate, run: "
            + "RIPCORD_UPDATE_OPENAPI=1 dotnet test tests/Ripcord.Server.Tests --filter OpenApiDocument — and commit docs/openapi.json.");
    }

    [Fact]
    public async Task EveryOperation_IsNamedSummarisedTagged_AndDescribesItsBodiesAndErrors()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var operations = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, op) in item!.AsObject())
            {
                operations++;
                var where = $"{method.ToUpperInvariant()} {path}";
                Assert.False(string.IsNullOrWhiteSpace(op!["operationId"]?.GetValue<string>()), $"{where} has no name");
                Assert.False(string.IsNullOrWhiteSpace(op["summary"]?.GetValue<string>()), $"{where} has no summary");
                Assert.NotEmpty(op["tags"]!.AsArray());
                var responses = op["responses"]!.AsObject();
                Assert.Contains(responses, r => r.Key.StartsWith('2') || r.Key == "304");
                if (path.StartsWith("/healthz", StringComparison.Ordinal) || path.StartsWith("/readyz", StringComparison.Ordinal))
                {
                    continue;
                }
                Assert.True(op["security"] is JsonArray { Count: > 0 }, $"{where} does not say it needs a token");
                Assert.True(responses.ContainsKey("401") && responses.ContainsKey("403"), $"{where} does not list 401 and 403");
                if (path.StartsWith("/api/", StringComparison.Ordinal))
                {
                    foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
                    {
                        Assert.True(response!["content"]?["application/problem+json"] is not null, $"{where} {status} is not problem details");
                    }
                }
                // Bodiless actions: the path says everything (close an incident, resolve an action item, approve a request).
                var bodiless = path.EndsWith("/close", StringComparison.Ordinal) || path.EndsWith("/approve", StringComparison.Ordinal)
                    || path.EndsWith("/actions/{action}/resolve", StringComparison.Ordinal);
                if (method is "post" or "put" && !bodiless && !path.EndsWith("/definition", StringComparison.Ordinal) && !path.EndsWith("/definitions", StringComparison.Ordinal))
                {
                    var body = op["requestBody"]?["content"]?["application/json"]?["schema"];
                    Assert.True(body is not null, $"{where} does not describe its request body");
                    var reference = body!["$ref"]?.GetValue<string>();
                    Assert.True(reference is null || schemas.ContainsKey(reference.Split('/')[^1]), $"{where} refers to a missing schema {reference}");
                }
            }
        }
        Assert.True(operations >= 31, $"expected the whole API, found {operations} operations");
    }
}
