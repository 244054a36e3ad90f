using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Ripcord.Core.Governance;
using Ripcord.Server.Auth;

namespace Ripcord.EndToEnd.Tests;

/// <summary>The OFREP endpoints over plain HTTP: shapes, status codes, ETag/304, and no 500 for any input.</summary>
[Collection(GroupsScenarioCollection.Name)]
public sealed class OfrepHttpTests(GroupsScenario scenario) : IDisposable
{
    private const string Single = "ofrep/v1/evaluate/flags/";
    private const string Bulk = "ofrep/v1/evaluate/flags";

    private readonly HttpClient _sdk = scenario.Server.NewClient(scenario.SdkToken);

    public void Dispose() => _sdk.Dispose();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<(HttpStatusCode Status, JsonObject? Body, HttpResponseMessage Response)> PostAsync(
        string path, string body, HttpClient? client = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        configure?.Invoke(request);
        var response = await (client ?? _sdk).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : E2eHttp.Parse(text), response);
    }

    [Fact]
    public async Task Single_flag_success_has_exactly_the_OFREP_fields()
    {
        var (status, body, response) = await PostAsync(Single + "groups.routes.enabled",
            """{"context":{"targetingKey":"u-1","workspaceId":"w-pilot-1","tier":0}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(body);
        Assert.Equal(["key", "metadata", "reason", "value", "variant"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("groups.routes.enabled", (string?)body["key"]);
        Assert.True((bool)body["value"]!);
        Assert.Equal("on", (string?)body["variant"]);
        Assert.Equal("TARGETING_MATCH", (string?)body["reason"]);
        var metadata = body["metadata"]!.AsObject();
        Assert.Equal("groups", (string?)metadata["program"]);
        Assert.Equal("F1", (string?)metadata["alias"]);
        Assert.Equal("1", (string?)metadata["stage"]);
        Assert.Equal("stage", (string?)metadata["ripcordReason"]);
        Assert.Equal("cohort:pilot", (string?)metadata["scope"]);
        Assert.Equal("stage:1@cohort:pilot", (string?)metadata["source"]);
        Assert.True((long)metadata["revision"]! > 0);
        // OpenFeature flag metadata holds only booleans, strings and numbers.
        Assert.All(metadata, p => Assert.Contains(p.Value!.GetValueKind(),
            new[] { System.Text.Json.JsonValueKind.String, System.Text.Json.JsonValueKind.Number, System.Text.Json.JsonValueKind.True }));
    }

    [Fact]
    public async Task Configuration_announces_boolean_flags_and_polling()
    {
        using var response = await _sdk.GetAsync("ofrep/v1/configuration");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = E2eHttp.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Ripcord", (string?)body["name"]);
        var capabilities = body["capabilities"]!.AsObject();
        Assert.True((bool)capabilities["cacheInvalidation"]!["polling"]!["enabled"]!);
        Assert.Equal(1000, (int)capabilities["cacheInvalidation"]!["polling"]!["minPollingIntervalMs"]!);
        Assert.Equal(["boolean"], capabilities["flagEvaluation"]!["supportedTypes"]!.AsArray().Select(t => (string?)t));

        using var anonymous = new HttpClient { BaseAddress = _sdk.BaseAddress };
        using var refused = await anonymous.GetAsync("ofrep/v1/configuration");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task An_alias_evaluates_the_flag_and_echoes_the_requested_key()
    {
        var (status, body, _) = await PostAsync(Single + "F4", """{"context":{}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("F4", (string?)body!["key"]);
        Assert.Equal("groups.policy.strictTierEnforcement", (string?)body["metadata"]!["flagKey"]);
        Assert.True((bool)body["value"]!);
        Assert.Equal("STATIC", (string?)body["reason"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"context":null}""")]
    [InlineData("""{"context":{},"somethingOfrepAddsLater":1}""")]
    public async Task No_body_or_no_context_is_the_empty_context(string body)
    {
        var (status, json, _) = await PostAsync(Single + "groups.routes.enabled", body);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False((bool)json!["value"]!);
        Assert.Equal("DEFAULT", (string?)json["reason"]);
    }

    [Theory]
    [InlineData("groups.nope")]
    [InlineData("F9")]
    [InlineData("a/b/c")]
    [InlineData("%E2%9C%93")]
    public async Task An_unknown_flag_is_404_FLAG_NOT_FOUND(string key)
    {
        var (status, body, response) = await PostAsync(Single + key, """{"context":{"targetingKey":"u-1"}}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("FLAG_NOT_FOUND", (string?)body!["errorCode"]);
        Assert.False(string.IsNullOrEmpty((string?)body["key"]));
        Assert.False(string.IsNullOrEmpty((string?)body["errorDetails"]));
        Assert.Equal(["errorCode", "errorDetails", "key"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"context":{"tier":"x"}}""", "tier")]
    [InlineData("""{"context":{"tier":3}}""", "tier")]
    [InlineData("""{"context":{"tier":1.5}}""", "tier")]
    [InlineData("""{"context":{"tier":-1}}""", "tier")]
    [InlineData("""{"context":{"targetingKey":42}}""", "targetingKey")]
    [InlineData("""{"context":{"workspaceId":["w1"]}}""", "workspaceId")]
    [InlineData("""{"context":{"platform":{"os":"ios"}}}""", "platform")]
    [InlineData("""{"context":{"targetingKey":"a","userId":"b"}}""", "userId")]
    [InlineData("""{"context":{"program":"nope"}}""", "program")]
    [InlineData("""{"context":{"program":7}}""", "program")]
    [InlineData("""{"context":[1,2]}""", "context")]
    [InlineData("""{"context":"u-1"}""", "context")]
    public async Task A_context_Ripcord_cannot_use_is_400_INVALID_CONTEXT(string body, string mentioned)
    {
        foreach (var path in new[] { Single + "groups.routes.enabled", Bulk })
        {
            var (status, json, _) = await PostAsync(path, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("INVALID_CONTEXT", (string?)json!["errorCode"]);
            Assert.Contains(mentioned, (string?)json["errorDetails"], StringComparison.Ordinal);
            if (path == Bulk)
            {
                Assert.Null(json["key"]);
            }
            else
            {
                Assert.Equal("groups.routes.enabled", (string?)json["key"]);
            }
        }
    }

    [Fact]
    public async Task Too_many_attributes_is_INVALID_CONTEXT()
    {
        var context = new JsonObject();
        for (var i = 0; i < 65; i++)
        {
            context["a" + i] = i;
        }
        var (status, json, _) = await PostAsync(Bulk, new JsonObject { ["context"] = context }.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_CONTEXT", (string?)json!["errorCode"]);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"context\"")]
    [InlineData("""{"context":{}} trailing""")]
    [InlineData("""{"context":{"a":"\ud800"}}""")]
    public async Task A_body_that_is_not_an_OFREP_request_is_400_PARSE_ERROR(string body)
    {
        foreach (var path in new[] { Single + "groups.routes.enabled", Bulk })
        {
            var (status, json, _) = await PostAsync(path, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("PARSE_ERROR", (string?)json!["errorCode"]);
        }
    }

    [Fact]
    public async Task A_non_JSON_content_type_is_400_PARSE_ERROR()
    {
        using var content = new StringContent("{}", Encoding.UTF8, "text/plain");
        using var response = await _sdk.PostAsync(Single + "groups.routes.enabled", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("PARSE_ERROR", (string?)E2eHttp.Parse(await response.Content.ReadAsStringAsync())["errorCode"]);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_with_an_OFREP_error()
    {
        var big = "{\"context\":{\"x\":\"" + new string('a', 1100 * 1024) + "\"}}";
        var (status, json, _) = await PostAsync(Single + "groups.routes.enabled", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("PARSE_ERROR", (string?)json!["errorCode"]);
    }

    [Fact]
    public async Task Hostile_bodies_never_give_a_500()
    {
        string[] bodies =
        [
            new string('[', 5000) + new string(']', 5000),
            "{\"context\":" + new string('{', 100) + new string('}', 100) + "}",
            """{"context":{"tier":1e400}}""",
            """{"context":{"tier":null,"workspaceId":null,"targetingKey":null,"program":null,"x":null}}""",
            "{\"context\":{\"targetingKey\":\"" + new string('u', 300) + "\"}}",
            """{"context":{"":"empty name","\u0000":"nul"}}""",
            """{"context":{"x":1},"context":{"y":2}}""",
            "\uFEFF{}",
            "\u0000\u0001\u0002",
            "null",
        ];
        var random = new Random(7);
        var noise = new byte[2048];
        for (var i = 0; i < 20; i++)
        {
            random.NextBytes(noise);
            bodies = [.. bodies, Encoding.Latin1.GetString(noise)];
        }
        foreach (var body in bodies)
        {
            foreach (var path in new[] { Single + "groups.routes.enabled", Bulk })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
                using var response = await _sdk.SendAsync(request);
                Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {path} with {body[..Math.Min(body.Length, 60)]}");
                if (response.StatusCode == HttpStatusCode.BadRequest)
                {
                    Assert.NotNull(E2eHttp.Parse(await response.Content.ReadAsStringAsync())["errorCode"]);
                }
            }
        }
    }

    [Fact]
    public async Task Bulk_returns_every_flag_with_an_ETag_and_304_when_it_matches()
    {
        const string body = """{"context":{"targetingKey":"u-1","workspaceId":"w-pilot-1","tier":0}}""";
        var (status, json, response) = await PostAsync(Bulk, body);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(json);
        Assert.Equal(["flags"], json.Select(p => p.Key));
        var flags = json["flags"]!.AsArray();
        Assert.Equal(8, flags.Count);
        Assert.All(flags, f => Assert.Equal(["key", "metadata", "reason", "value", "variant"], f!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)));
        Assert.Contains(flags, f => (string?)f!["key"] == "groups.routes.enabled" && (bool)f["value"]!);
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);

        // The same request and tag: 304 with the tag and no body.
        var (again, againBody, againResponse) = await PostAsync(Bulk, body, configure: r => r.Headers.IfNoneMatch.Add(etag));
        Assert.Equal(HttpStatusCode.NotModified, again);
        Assert.Null(againBody);
        Assert.Equal(etag, againResponse.Headers.ETag);

        // A weak form of the tag, or the tag in a list, matches too (weak comparison).
        var (weak, _, _) = await PostAsync(Bulk, body, configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", $"\"stale\", W/{etag.Tag}"));
        Assert.Equal(HttpStatusCode.NotModified, weak);

        // Another context is another representation: another tag, and the old one does not match.
        const string other = """{"context":{"targetingKey":"u-3","workspaceId":"w-outside-7","tier":1}}""";
        var (otherStatus, _, otherResponse) = await PostAsync(Bulk, other, configure: r => r.Headers.IfNoneMatch.Add(etag));
        Assert.Equal(HttpStatusCode.OK, otherStatus);
        Assert.NotEqual(etag, otherResponse.Headers.ETag);

        // A stale tag gets the full answer.
        var (stale, _, _) = await PostAsync(Bulk, body, configure: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0-000000000000000000000000\"")));
        Assert.Equal(HttpStatusCode.OK, stale);
    }

    [Fact]
    public async Task Bulk_values_equal_single_flag_values()
    {
        foreach (var (_, context) in scenario.Contexts)
        {
            var request = new JsonObject { ["context"] = context.DeepClone() }.ToJsonString();
            var (_, bulk, _) = await PostAsync(Bulk, request);
            foreach (var flag in bulk!["flags"]!.AsArray())
            {
                var (status, single, _) = await PostAsync(Single + (string)flag!["key"]!, request);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(flag.ToJsonString(), single!.ToJsonString());
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer rc_sdk_never-issued-000000000000")]
    [InlineData("Bearer short")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task A_missing_or_bad_key_is_401(string? authorization)
    {
        using var client = scenario.Server.NewClient(null);
        foreach (var path in new[] { Single + "groups.routes.enabled", Bulk })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json("""{"context":{}}""") };
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task The_sdk_key_may_come_as_OFREP_X_API_Key_and_a_bad_one_is_401()
    {
        using var client = scenario.Server.NewClient(null);
        foreach (var (key, expected) in new[] { (scenario.SdkToken, HttpStatusCode.OK), ("rc_sdk_never-issued-000000000000", HttpStatusCode.Unauthorized) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Single + "F1") { Content = Json("{}") };
            request.Headers.TryAddWithoutValidation("X-API-Key", key);
            using var response = await client.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
        }
    }

    [Fact]
    public async Task Every_role_that_may_evaluate_can_use_OFREP()
    {
        // 403 is for a role without Permission.Evaluate; today the matrix gives it to every role,
        // so the check is that the endpoints follow the matrix rather than a list of their own.
        foreach (var role in Role.All)
        {
            Assert.True(RoleMatrix.Allows(Permission.Evaluate, role), role.Name);
            using var client = scenario.Server.NewClient(await scenario.Server.CreateTokenAsync(role.Name));
            var (status, _, _) = await PostAsync(Single + "F1", "{}", client);
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_OFREP_endpoints()
    {
        using var anonymous = scenario.Server.NewClient(null);
        var document = await anonymous.GetStringAsync("openapi/v1.json");
        Assert.Contains("/ofrep/v1/evaluate/flags/{key}", document, StringComparison.Ordinal);
        Assert.Contains("\"/ofrep/v1/evaluate/flags\"", document, StringComparison.Ordinal);
    }
}
