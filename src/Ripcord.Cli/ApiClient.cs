using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ripcord.Cli;

/// <summary>A failure to report as one line and a non-zero exit.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Talks to the REST API; turns problem details into one-line errors.</summary>
public sealed class ApiClient(string server, string? token) : IDisposable
{
    private readonly HttpClient _http = Create(server, token);

    private static HttpClient Create(string server, string? token)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--server must be an http(s) URL, not '{server}'");
        }
        var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return http;
    }

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, null, ct);

    public Task<JsonNode?> SendJsonAsync(HttpMethod method, string path, object? body, CancellationToken ct, long? ifMatch = null) =>
        SendAsync(method, path, body is null ? null : new StringContent(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json"), ifMatch, ct);

    public async Task<string> GetTextAsync(string path, CancellationToken ct)
    {
        using var response = await Send(new HttpRequestMessage(HttpMethod.Get, path), ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, HttpContent? content, long? ifMatch, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (ifMatch is long revision)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{revision}\"");
        }
        using var response = await Send(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach {_http.BaseAddress}: {ex.Message} (is 'ripcord serve' running? set --server)");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"{_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        var body = await response.Content.ReadAsStringAsync(ct);
        response.Dispose();
        throw new CliException(Describe(response.StatusCode, body));
    }

    private static string Describe(HttpStatusCode status, string body)
    {
        try
        {
            var problem = JsonNode.Parse(body);
            var detail = problem?["detail"]?.GetValue<string>() ?? problem?["title"]?.GetValue<string>();
            var lines = problem?["errors"] is JsonArray errors
                ? string.Concat(errors.Select(e => $"{Environment.NewLine}  line {e?["line"]}: {e?["path"]}: {e?["message"]}"))
                : "";
            if (detail is not null)
            {
                return $"{(int)status} {status}: {(lines.Length > 0 ? "the server refused it" : detail)}{lines}";
            }
        }
        catch (JsonException)
        {
        }
        return $"{(int)status} {status}";
    }

    public void Dispose() => _http.Dispose();
}
