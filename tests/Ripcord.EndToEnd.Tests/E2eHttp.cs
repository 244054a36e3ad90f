using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ripcord.EndToEnd.Tests;

/// <summary>What the end-to-end tests do over HTTP on top of the shared test host (Ripcord.Testing).</summary>
public static class E2eHttp
{
    public static async Task PutJsonAsync(this RipcordTestServer server, string path, object body)
    {
        using var response = await server.Admin.PutAsJsonAsync(path, body);
        await EnsureAsync(response);
    }

    public static async Task PostJsonAsync(this RipcordTestServer server, string path, object body)
    {
        using var response = await server.Admin.PostAsJsonAsync(path, body);
        await EnsureAsync(response);
    }

    public static async Task ApplyDefinitionAsync(this RipcordTestServer server, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var response = await server.Admin.PostAsync("api/v1/definitions", content);
        await EnsureAsync(response);
    }

    /// <summary>POST /api/v1/programs/{program}/evaluate — the REST answer OFREP is held to.</summary>
    public static async Task<JsonObject> RestEvaluateAsync(this RipcordTestServer server, HttpClient client, string program, JsonObject restContext)
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
}
