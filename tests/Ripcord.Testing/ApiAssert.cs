using System.Net;
using System.Text.Json;

namespace Ripcord.Testing;

/// <summary>Assertions on HTTP responses that print the body when they fail.</summary>
public static class ApiAssert
{
    public static async Task<JsonElement> SuccessJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} → {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : Parse(text);
    }

    /// <summary>Asserts an RFC 9457 problem with <paramref name="status"/> and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"expected application/problem+json, got '{response.Content.Headers.ContentType}': {text}");
        var problem = Parse(text);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), "a problem has a title");
        return problem;
    }

    public static JsonElement Parse(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
