using System.Net;
using System.Text;
using System.Text.Json;

namespace Ripcord.Server.Tests.BadInput;

/// <summary>
/// Issue 8, item 5: text that is not valid Unicode — a lone UTF-16 surrogate written as a JSON
/// escape, or bytes that are not UTF-8 — is refused where it arrives, with the field named; it is
/// never a 500 and never stored. (BadInputTests holds one case per endpoint; these check the words.)
/// </summary>
public sealed class InvalidUnicodeTests : IAsyncLifetime
{
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> SendAsync(string method, string path, byte[] body, HttpStatusCode status)
    {
        var request = RipcordTestServer.Request(new HttpMethod(method), path, RipcordTestServer.AdminToken, new ByteArrayContent(body));
        request.Content!.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        using var response = await _server.SendAsync(request);
        return await ApiAssert.ProblemAsync(response, status);
    }

    [Theory]
    [InlineData("POST", "/api/v1/programs/groups/evaluate", "{\"context\":{\"attributes\":{\"plan\":\"\\ud800\"}}}", "context.attributes.plan")]
    [InlineData("PUT", "/api/v1/programs/groups/stage", "{\"stage\":\"\\ud800\"}", "stage")]
    [InlineData("POST", "/api/v1/programs/groups/incidents", "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"\\udc00\\ud800\"}", "summary")]
    [InlineData("PUT", "/api/v1/programs/groups/cohorts/pilot", "{\"workspaces\":[\"w-1\"],\"description\":\"a\\ud800\"}", "description")]
    public async Task LoneSurrogate_Is400_NamingTheField(string method, string path, string body, string field)
    {
        var head = await _server.HeadAsync();
        var problem = await SendAsync(method, path, Encoding.UTF8.GetBytes(body), HttpStatusCode.BadRequest);
        Assert.Contains("Unicode", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors names '{field}': {problem}");
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Theory]
    [InlineData("POST", "/api/v1/programs/groups/evaluate", "{\"context\":{\"workspaceId\":\"", "\"}}")]
    [InlineData("POST", "/api/v1/programs/groups/evaluate", "{\"context\":{\"attributes\":{\"plan\":\"", "\"}}}")]
    [InlineData("PUT", "/api/v1/programs/groups/cohorts/pilot", "{\"workspaces\":[\"", "\"]}")]
    [InlineData("POST", "/api/v1/tokens", "{\"role\":\"viewer\",\"name\":\"", "\"}")]
    public async Task BytesThatAreNotUtf8_Are400(string method, string path, string before, string after)
    {
        var head = await _server.HeadAsync();
        byte[] body = [.. Encoding.UTF8.GetBytes(before), 0xED, 0xA0, 0x80, 0xFF, .. Encoding.UTF8.GetBytes(after)];
        await SendAsync(method, path, body, HttpStatusCode.BadRequest);
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Theory]
    [InlineData("/ofrep/v1/evaluate/flags")]
    [InlineData("/ofrep/v1/evaluate/flags/F1")]
    public async Task Ofrep_LoneSurrogate_Is400InItsOwnProtocol(string path)
    {
        using var response = await _server.Admin.PostAsync(path,
            new StringContent("{\"context\":{\"targetingKey\":\"\\ud800\",\"plan\":\"\\udfff\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("PARSE_ERROR", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
