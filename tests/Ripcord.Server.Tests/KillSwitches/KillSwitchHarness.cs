using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ripcord.Server.Tests.KillSwitches;

/// <summary>What the kill-switch tests do against a real server: declare, activate, and play SDK instances over the real stream and telemetry endpoints.</summary>
public static class KillSwitchHarness
{
    public const string IncidentsPath = "/api/v1/programs/groups/incidents";

    public static async Task<string> DeclareAsync(this RipcordTestServer server, string @class = "P3", string trigger = "publish-ack-failures",
        string[]? affected = null, string token = RipcordTestServer.AdminToken)
    {
        var created = await server.OkAsync(HttpMethod.Post, IncidentsPath,
            new { @class, severity = "high", trigger, summary = "acks failing", affected = affected ?? [] }, token: token);
        return created.GetProperty("id").GetString()!;
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> ActivateAsync(this RipcordTestServer server, string level, string scope,
        string incident, string token = RipcordTestServer.AdminToken, int? verifyWithinSeconds = null)
    {
        using var response = await server.SendAsync(HttpMethod.Post, $"/api/v1/programs/groups/kill-switches/{level}/activations", token,
            new { scope, incident, reason = "test activation", verifyWithinSeconds });
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<JsonElement> ActivationAsync(this RipcordTestServer server, string level, string id) =>
        await server.GetAsync($"/api/v1/programs/groups/kill-switches/{level}/activations/{id}");

    public static async Task<string?> VerificationStatusAsync(this RipcordTestServer server, string level, string id)
    {
        var view = await server.ActivationAsync(level, id);
        return view.TryGetProperty("verification", out var v) && v.ValueKind == JsonValueKind.Object ? v.GetProperty("status").GetString() : null;
    }

    public static async Task<string> UntilDecidedAsync(this RipcordTestServer server, string level, string id, Action? tick = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var status = await server.VerificationStatusAsync(level, id);
            if (status is "verified" or "failed")
            {
                // Decided in memory; wait until it is stored (the activation's own document) too.
                var stored = await server.GetAsync($"/api/v1/programs/groups/incidents/{(await server.ActivationAsync(level, id)).GetProperty("activation").GetProperty("incidentId").GetString()}");
                if (stored.GetProperty("incident").GetProperty("timeline").EnumerateArray()
                    .Any(e => e.GetProperty("kind").GetString() is "verified" or "verification-failed" && e.GetProperty("ref").GetString() == id))
                {
                    return status;
                }
            }
            tick?.Invoke();
            await Task.Delay(20);
        }
        throw new TimeoutException($"verification of {id} was not decided");
    }

    /// <summary>An SDK instance: holds the stream open under its instance id and reports revisions through telemetry, as the SDK does.</summary>
    public sealed class FakeInstance : IAsyncDisposable
    {
        private readonly RipcordTestServer _server;
        private readonly string _key;
        private readonly HttpResponseMessage _stream;
        private readonly HttpRequestMessage _request;

        private FakeInstance(RipcordTestServer server, string key, string id, HttpRequestMessage request, HttpResponseMessage stream)
        {
            _server = server;
            _key = key;
            Id = id;
            _request = request;
            _stream = stream;
        }

        public string Id { get; }

        public static async Task<FakeInstance> ConnectAsync(RipcordTestServer server, string key, string id)
        {
            var request = RipcordTestServer.Request(HttpMethod.Get, "/api/v1/programs/groups/stream", key);
            request.Headers.Add("X-Ripcord-Instance", id);
            var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new FakeInstance(server, key, id, request, response);
        }

        public Task ReportAsync(long revision) => PostAsync(new { type = "revision-heartbeat", at = Now, revision, state = "live" });

        public Task SendAsync(long revision, string workspaceId) =>
            PostAsync(new { type = "send", at = Now, ackLatencyMs = 12, outcome = "ok", transport = "baseline", workspaceId, tier = 0, revision });

        private string Now => _server.Time.GetUtcNow().ToString("O");

        private async Task PostAsync(object e)
        {
            using var message = RipcordTestServer.Request(HttpMethod.Post, "/api/v1/telemetry", _key,
                JsonContent.Create(new { program = "groups", instance = Id, sdk = "fake/1", dropped = 0, events = new[] { e } }));
            using var response = await _server.Http.SendAsync(message);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        public ValueTask DisposeAsync()
        {
            _stream.Dispose();
            _request.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
