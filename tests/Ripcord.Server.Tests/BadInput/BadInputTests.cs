using System.Net;
using System.Text;

namespace Ripcord.Server.Tests.BadInput;

/// <summary>
/// SPEC §9: bad input never causes a 500 and never changes anything. Every refusal is an RFC 9457
/// problem (application/problem+json) with the right status, and the program's revision head is
/// the same before and after.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private const string Overrides = "/api/v1/programs/groups/overrides";
    private const string Evaluate = "/api/v1/programs/groups/evaluate";
    private const string Stage = "/api/v1/programs/groups/stage";
    private const string Pilot = "/api/v1/programs/groups/cohorts/pilot";
    private const string Tokens = "/api/v1/tokens";
    private const string Json = "application/json";

    // JSON escapes (not the characters themselves, which UTF-8 cannot carry): a lone high, a lone low, a reversed pair.
    private const string Lone = "\\ud800";
    private const string LoneLow = "\\udfff";
    private const string Reversed = "\\udc00\\ud800";

    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string IncidentsPath = "/api/v1/programs/groups/incidents";

    public sealed record Case(string Method, string Path, string? ContentType, string? Body, HttpStatusCode Status, string? IfMatch = null);

    private static string Override(string flag = "F3", string scope = "workspace:w-1", string value = "true", string extra = "") =>
        $"{{\"flag\":\"{flag}\",\"scope\":\"{scope}\",\"value\":{value},\"reason\":\"test\"{extra}}}";

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        // malformed JSON
        ["malformed JSON: override"] = new("POST", Overrides, Json, "{\"flag\":\"F1\",", HttpStatusCode.BadRequest),
        ["malformed JSON: evaluate"] = new("POST", Evaluate, Json, "{context:{}}", HttpStatusCode.BadRequest),
        ["malformed JSON: cohort"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w-1\"", HttpStatusCode.BadRequest),
        ["malformed JSON: stage"] = new("PUT", Stage, Json, "{\"stage\":}", HttpStatusCode.BadRequest),
        ["malformed JSON: token"] = new("POST", Tokens, Json, "role=viewer", HttpStatusCode.BadRequest),
        ["malformed JSON: trailing comma"] = new("POST", Overrides, Json, Override(extra: ","), HttpStatusCode.BadRequest),
        ["JSON null body"] = new("POST", Overrides, Json, "null", HttpStatusCode.BadRequest),
        ["JSON array body"] = new("POST", Evaluate, Json, "[]", HttpStatusCode.BadRequest),
        ["empty body"] = new("POST", Overrides, Json, "", HttpStatusCode.BadRequest),
        ["empty object"] = new("POST", Overrides, Json, "{}", HttpStatusCode.BadRequest),
        ["evaluate without context"] = new("POST", Evaluate, Json, "{}", HttpStatusCode.BadRequest),
        ["deeply nested JSON"] = new("POST", Evaluate, Json, "{\"context\":{\"attributes\":{\"a\":" + new string('[', 100) + new string(']', 100) + "}}}", HttpStatusCode.BadRequest),
        // wrong types
        ["wrong type: value \"yes\""] = new("POST", Overrides, Json, Override(value: "\"yes\""), HttpStatusCode.BadRequest),
        ["wrong type: value 1"] = new("POST", Overrides, Json, Override(value: "1"), HttpStatusCode.BadRequest),
        ["wrong type: tier \"1\""] = new("POST", Evaluate, Json, "{\"context\":{\"workspaceId\":\"w-1\",\"tier\":\"1\"}}", HttpStatusCode.BadRequest),
        ["wrong type: tier 1.5"] = new("POST", Evaluate, Json, "{\"context\":{\"tier\":1.5}}", HttpStatusCode.BadRequest),
        ["wrong type: tier 1e20"] = new("POST", Evaluate, Json, "{\"context\":{\"tier\":1e20}}", HttpStatusCode.BadRequest),
        ["out of range: tier 3"] = new("POST", Evaluate, Json, "{\"context\":{\"tier\":3}}", HttpStatusCode.BadRequest),
        ["out of range: tier -1"] = new("POST", Evaluate, Json, "{\"context\":{\"tier\":-1}}", HttpStatusCode.BadRequest),
        ["wrong type: workspaceId number"] = new("POST", Evaluate, Json, "{\"context\":{\"workspaceId\":7}}", HttpStatusCode.BadRequest),
        ["wrong type: attribute object"] = new("POST", Evaluate, Json, "{\"context\":{\"attributes\":{\"a\":{\"b\":1}}}}", HttpStatusCode.BadRequest),
        ["wrong type: attribute null"] = new("POST", Evaluate, Json, "{\"context\":{\"attributes\":{\"a\":null}}}", HttpStatusCode.BadRequest),
        ["too long: workspaceId"] = new("POST", Evaluate, Json, "{\"context\":{\"workspaceId\":\"" + new string('w', 300) + "\"}}", HttpStatusCode.BadRequest),
        ["too many attributes"] = new("POST", Evaluate, Json, "{\"context\":{\"attributes\":{" + string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"a{i}\":{i}")) + "}}}", HttpStatusCode.BadRequest),
        ["wrong type: expiresAt"] = new("POST", Overrides, Json, Override(scope: "user:u-1", extra: ",\"expiresAt\":\"tomorrow\""), HttpStatusCode.BadRequest),
        ["wrong type: workspaces string"] = new("PUT", Pilot, Json, "{\"workspaces\":\"w-1\"}", HttpStatusCode.BadRequest),
        ["wrong type: percentage string"] = new("PUT", Pilot, Json, "{\"percentage\":\"10\"}", HttpStatusCode.BadRequest),
        ["wrong type: percentage overflow"] = new("PUT", Pilot, Json, "{\"percentage\":1e400}", HttpStatusCode.BadRequest),
        ["wrong type: stage true"] = new("PUT", Stage, Json, "{\"stage\":true}", HttpStatusCode.BadRequest),
        ["wrong type: stage 1.5"] = new("PUT", Stage, Json, "{\"stage\":1.5}", HttpStatusCode.BadRequest),
        ["wrong type: stage null"] = new("PUT", Stage, Json, "{\"stage\":null}", HttpStatusCode.BadRequest),
        ["wrong type: token role number"] = new("POST", Tokens, Json, "{\"name\":\"x\",\"role\":3}", HttpStatusCode.BadRequest),
        // unknown fields
        ["unknown field: override ttl"] = new("POST", Overrides, Json, Override(extra: ",\"ttl\":5"), HttpStatusCode.BadRequest),
        ["unknown field: context.workspace"] = new("POST", Evaluate, Json, "{\"context\":{\"workspace\":\"w-1\"}}", HttpStatusCode.BadRequest),
        ["unknown field: top-level ctx"] = new("POST", Evaluate, Json, "{\"ctx\":{}}", HttpStatusCode.BadRequest),
        ["unknown field: cohort members"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w-1\"],\"members\":[]}", HttpStatusCode.BadRequest),
        ["unknown field: stage name"] = new("PUT", Stage, Json, "{\"stage\":1,\"name\":\"pilot\"}", HttpStatusCode.BadRequest),
        // duplicate fields: the second must not silently win
        ["duplicate field: override value"] = new("POST", Overrides, Json, "{\"flag\":\"F3\",\"scope\":\"global\",\"value\":true,\"value\":false,\"reason\":\"r\"}", HttpStatusCode.BadRequest),
        ["duplicate field: context tier"] = new("POST", Evaluate, Json, "{\"context\":{\"tier\":0,\"tier\":2}}", HttpStatusCode.BadRequest),
        ["duplicate field: cohort workspaces"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w-1\"],\"workspaces\":[\"w-2\"]}", HttpStatusCode.BadRequest),
        // unknown flags, bad scopes, bad values
        ["unknown flag F9"] = new("POST", Overrides, Json, Override(flag: "F9"), HttpStatusCode.BadRequest),
        ["unknown flag key"] = new("POST", Overrides, Json, Override(flag: "groups.nope.enabled"), HttpStatusCode.BadRequest),
        ["bad scope galaxy:1"] = new("POST", Overrides, Json, Override(scope: "galaxy:1"), HttpStatusCode.BadRequest),
        ["bad scope cohort:nonexistent"] = new("POST", Overrides, Json, Override(scope: "cohort:nonexistent"), HttpStatusCode.BadRequest),
        ["bad scope workspace:"] = new("POST", Overrides, Json, Override(scope: "workspace:"), HttpStatusCode.BadRequest),
        ["bad scope with space"] = new("POST", Overrides, Json, Override(scope: "workspace:a b"), HttpStatusCode.BadRequest),
        ["bad scope Global"] = new("POST", Overrides, Json, Override(scope: "Global"), HttpStatusCode.BadRequest),
        ["user override without expiry"] = new("POST", Overrides, Json, Override(scope: "user:u-1"), HttpStatusCode.BadRequest),
        ["user override beyond 72h"] = new("POST", Overrides, Json, Override(scope: "user:u-1", extra: ",\"expiresAt\":\"2030-01-04T09:00:01Z\""), HttpStatusCode.BadRequest),
        ["override expiring in the past"] = new("POST", Overrides, Json, Override(extra: ",\"expiresAt\":\"2029-12-31T00:00:00Z\""), HttpStatusCode.BadRequest),
        ["override with blank reason"] = new("POST", Overrides, Json, "{\"flag\":\"F3\",\"scope\":\"global\",\"value\":true,\"reason\":\"   \"}", HttpStatusCode.BadRequest),
        ["override with a 1001-character reason"] = new("POST", Overrides, Json, "{\"flag\":\"F3\",\"scope\":\"global\",\"value\":true,\"reason\":\"" + new string('r', 1001) + "\"}", HttpStatusCode.BadRequest),
        ["unknown stage \"9\""] = new("PUT", Stage, Json, "{\"stage\":\"9\"}", HttpStatusCode.BadRequest),
        ["unknown stage 7"] = new("PUT", Stage, Json, "{\"stage\":7}", HttpStatusCode.BadRequest),
        ["cohort with two kinds"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w-1\"],\"rule\":\"tier >= 1\"}", HttpStatusCode.BadRequest),
        ["cohort with no kind"] = new("PUT", Pilot, Json, "{\"description\":\"x\"}", HttpStatusCode.BadRequest),
        ["cohort with a bad rule"] = new("PUT", Pilot, Json, "{\"rule\":\"tier >>> 1\"}", HttpStatusCode.BadRequest),
        ["cohort percentage 150"] = new("PUT", Pilot, Json, "{\"percentage\":150}", HttpStatusCode.BadRequest),
        ["cohort percentage 10.555"] = new("PUT", Pilot, Json, "{\"percentage\":10.555}", HttpStatusCode.BadRequest),
        ["cohort with a blank workspace"] = new("PUT", Pilot, Json, "{\"workspaces\":[\" \"]}", HttpStatusCode.BadRequest),
        ["cohort with a bad id"] = new("PUT", "/api/v1/programs/groups/cohorts/bad%20id", Json, "{\"workspaces\":[\"w-1\"]}", HttpStatusCode.BadRequest),
        ["token with an unknown role"] = new("POST", Tokens, Json, "{\"name\":\"x\",\"role\":\"root\"}", HttpStatusCode.BadRequest),
        ["token without a name"] = new("POST", Tokens, Json, "{\"role\":\"viewer\"}", HttpStatusCode.BadRequest),
        ["token with a 101-character name"] = new("POST", Tokens, Json, "{\"name\":\"" + new string('n', 101) + "\",\"role\":\"viewer\"}", HttpStatusCode.BadRequest),
        // bad query strings and route values
        ["revisions limit 0"] = new("GET", "/api/v1/programs/groups/revisions?limit=0", null, null, HttpStatusCode.BadRequest),
        ["revisions limit abc"] = new("GET", "/api/v1/programs/groups/revisions?limit=abc", null, null, HttpStatusCode.BadRequest),
        ["revisions before abc"] = new("GET", "/api/v1/programs/groups/revisions?before=abc", null, null, HttpStatusCode.BadRequest),
        ["revision abc"] = new("GET", "/api/v1/programs/groups/revisions/abc", null, null, HttpStatusCode.BadRequest),
        ["revision beyond long"] = new("GET", "/api/v1/programs/groups/revisions/99999999999999999999", null, null, HttpStatusCode.BadRequest),
        ["audit limit 5000"] = new("GET", "/api/v1/audit?limit=5000", null, null, HttpStatusCode.BadRequest),
        ["audit after x"] = new("GET", "/api/v1/audit?after=x", null, null, HttpStatusCode.BadRequest),
        ["audit search with after"] = new("GET", "/api/v1/audit?actor=alice&after=3", null, null, HttpStatusCode.BadRequest),
        ["audit before x"] = new("GET", "/api/v1/audit?before=x", null, null, HttpStatusCode.BadRequest),
        // unknown programs and things
        ["unknown program: summary"] = new("GET", "/api/v1/programs/nope", null, null, HttpStatusCode.NotFound),
        ["unknown program: flags"] = new("GET", "/api/v1/programs/nope/flags", null, null, HttpStatusCode.NotFound),
        ["unknown program: definition"] = new("GET", "/api/v1/programs/nope/definition", null, null, HttpStatusCode.NotFound),
        ["unknown program: cohorts"] = new("GET", "/api/v1/programs/nope/cohorts", null, null, HttpStatusCode.NotFound),
        ["unknown program: put cohort"] = new("PUT", "/api/v1/programs/nope/cohorts/pilot", Json, "{\"workspaces\":[\"w-1\"]}", HttpStatusCode.NotFound),
        ["unknown program: overrides"] = new("GET", "/api/v1/programs/nope/overrides", null, null, HttpStatusCode.NotFound),
        ["unknown program: post override"] = new("POST", "/api/v1/programs/nope/overrides", Json, Override(), HttpStatusCode.NotFound),
        ["unknown program: delete override"] = new("DELETE", "/api/v1/programs/nope/overrides/ovr_1", null, null, HttpStatusCode.NotFound),
        ["unknown program: stage"] = new("GET", "/api/v1/programs/nope/stage", null, null, HttpStatusCode.NotFound),
        ["unknown program: put stage"] = new("PUT", "/api/v1/programs/nope/stage", Json, "{\"stage\":1}", HttpStatusCode.NotFound),
        ["unknown program: evaluate"] = new("POST", "/api/v1/programs/nope/evaluate", Json, "{\"context\":{}}", HttpStatusCode.NotFound),
        ["unknown program: revisions"] = new("GET", "/api/v1/programs/nope/revisions", null, null, HttpStatusCode.NotFound),
        ["unknown program: revision"] = new("GET", "/api/v1/programs/nope/revisions/1", null, null, HttpStatusCode.NotFound),
        ["unknown override id"] = new("DELETE", "/api/v1/programs/groups/overrides/ovr_nope", null, null, HttpStatusCode.NotFound),
        ["unknown token id"] = new("DELETE", "/api/v1/tokens/tok_nope", null, null, HttpStatusCode.NotFound),
        ["unknown route"] = new("GET", "/api/v1/nothing-here", null, null, HttpStatusCode.NotFound),
        ["wrong method"] = new("GET", Evaluate, null, null, HttpStatusCode.MethodNotAllowed),
        ["wrong method on stage"] = new("PATCH", Stage, Json, "{\"stage\":1}", HttpStatusCode.MethodNotAllowed),
        // wrong content types
        ["text/plain override"] = new("POST", Overrides, "text/plain", Override(), HttpStatusCode.UnsupportedMediaType),
        ["XML evaluate"] = new("POST", Evaluate, "application/xml", "<context/>", HttpStatusCode.UnsupportedMediaType),
        ["form cohort"] = new("PUT", Pilot, "application/x-www-form-urlencoded", "workspaces=w-1", HttpStatusCode.UnsupportedMediaType),
        ["text/plain stage"] = new("PUT", Stage, "text/plain", "{\"stage\":1}", HttpStatusCode.UnsupportedMediaType),
        ["JSON definition"] = new("POST", "/api/v1/definitions", Json, "{\"program\":\"groups\"}", HttpStatusCode.UnsupportedMediaType),
        ["form definition"] = new("POST", "/api/v1/programs/groups/definition", "multipart/form-data; boundary=x", "--x--", HttpStatusCode.UnsupportedMediaType),
        // incidents, kill switches, reviews
        ["incident: unknown class"] = new("POST", IncidentsPath, Json, "{\"class\":\"P9\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"x\"}", HttpStatusCode.BadRequest),
        ["incident: class as number"] = new("POST", IncidentsPath, Json, "{\"class\":1,\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"x\"}", HttpStatusCode.BadRequest),
        ["incident: unknown trigger"] = new("POST", IncidentsPath, Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"x\",\"summary\":\"x\"}", HttpStatusCode.BadRequest),
        ["incident: missing summary"] = new("POST", IncidentsPath, Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\"}", HttpStatusCode.BadRequest),
        ["incident: lone surrogate in summary"] = new("POST", IncidentsPath, Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"\\ud800\"}", HttpStatusCode.BadRequest),
        ["incident: affected not a list"] = new("POST", IncidentsPath, Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"x\",\"affected\":\"cohort:pilot\"}", HttpStatusCode.BadRequest),
        ["incident: unknown program"] = new("POST", "/api/v1/programs/nope/incidents", Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"x\"}", HttpStatusCode.NotFound),
        ["incident: unknown id"] = new("GET", IncidentsPath + "/inc_nope", null, null, HttpStatusCode.NotFound),
        ["incident: note on unknown id"] = new("POST", IncidentsPath + "/inc_nope/notes", Json, "{\"text\":\"x\"}", HttpStatusCode.NotFound),
        ["incident: bad status filter"] = new("GET", IncidentsPath + "?status=burning", null, null, HttpStatusCode.BadRequest),
        ["kill switch: unknown incident"] = new("POST", "/api/v1/programs/groups/kill-switches/KS3/activations", Json, "{\"scope\":\"global\",\"incident\":\"inc_nope\",\"reason\":\"x\"}", HttpStatusCode.NotFound),
        ["kill switch: unknown field"] = new("POST", "/api/v1/programs/groups/kill-switches/KS3/activations", Json, "{\"scope\":\"global\",\"incident\":\"inc_nope\",\"reason\":\"x\",\"force\":true}", HttpStatusCode.BadRequest),
        ["kill switch: verify window as text"] = new("POST", "/api/v1/programs/groups/kill-switches/KS3/activations", Json, "{\"scope\":\"global\",\"incident\":\"inc_nope\",\"reason\":\"x\",\"verifyWithinSeconds\":\"60\"}", HttpStatusCode.BadRequest),
        ["kill switch: unknown activation"] = new("GET", "/api/v1/programs/groups/kill-switches/KS3/activations/ks_nope", null, null, HttpStatusCode.NotFound),
        ["kill switch: lift unknown activation"] = new("DELETE", "/api/v1/programs/groups/kill-switches/KS3/activations/ks_nope?reason=x", null, null, HttpStatusCode.NotFound),
        ["kill switch: approve unknown request"] = new("POST", "/api/v1/programs/groups/kill-switches/requests/req_nope/approve", null, null, HttpStatusCode.NotFound),
        ["review: unknown id"] = new("POST", "/api/v1/reviews/rvw_nope/complete", Json, "{\"findings\":\"x\"}", HttpStatusCode.NotFound),
        ["review: findings as number"] = new("POST", "/api/v1/reviews/rvw_nope/complete", Json, "{\"findings\":3}", HttpStatusCode.BadRequest),
        // invalid Unicode: a lone or reversed UTF-16 surrogate in any string field, attribute, route or query value is
        // refused as 400 naming the field, never a 500 (and never stored, where it would break every later read)
        ["surrogate: override flag"] = new("POST", Overrides, Json, Override(flag: Lone), HttpStatusCode.BadRequest),
        ["surrogate: override scope"] = new("POST", Overrides, Json, Override(scope: "workspace:a" + Lone), HttpStatusCode.BadRequest),
        ["surrogate: override reason"] = new("POST", Overrides, Json, "{\"flag\":\"F3\",\"scope\":\"global\",\"value\":true,\"reason\":\"r" + Reversed + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: evaluate workspaceId"] = new("POST", Evaluate, Json, "{\"context\":{\"workspaceId\":\"" + Lone + "\"}}", HttpStatusCode.BadRequest),
        ["surrogate: evaluate userId"] = new("POST", Evaluate, Json, "{\"context\":{\"userId\":\"u" + LoneLow + "\"}}", HttpStatusCode.BadRequest),
        ["surrogate: evaluate attribute value"] = new("POST", Evaluate, Json, "{\"context\":{\"attributes\":{\"plan\":\"" + Lone + "\"}}}", HttpStatusCode.BadRequest),
        ["surrogate: evaluate attribute name"] = new("POST", Evaluate, Json, "{\"context\":{\"attributes\":{\"" + Lone + "\":1}}}", HttpStatusCode.BadRequest),
        ["surrogate: cohort workspace"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w" + Lone + "\"]}", HttpStatusCode.BadRequest),
        ["surrogate: cohort user"] = new("PUT", Pilot, Json, "{\"users\":[\"" + Reversed + "\"]}", HttpStatusCode.BadRequest),
        ["surrogate: cohort rule"] = new("PUT", Pilot, Json, "{\"rule\":\"plan == '" + Lone + "'\"}", HttpStatusCode.BadRequest),
        ["surrogate: cohort description"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w-1\"],\"description\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: cohort seed"] = new("PUT", Pilot, Json, "{\"percentage\":5,\"seed\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: cohort id in route"] = new("PUT", "/api/v1/programs/groups/cohorts/p%ED%A0%80", Json, "{\"workspaces\":[\"w-1\"]}", HttpStatusCode.BadRequest),
        ["surrogate: stage"] = new("PUT", Stage, Json, "{\"stage\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: token name"] = new("POST", Tokens, Json, "{\"name\":\"" + Lone + "\",\"role\":\"viewer\"}", HttpStatusCode.BadRequest),
        ["surrogate: token role"] = new("POST", Tokens, Json, "{\"name\":\"x\",\"role\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: incident trigger"] = new("POST", IncidentsPath, Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"" + Lone + "\",\"summary\":\"x\"}", HttpStatusCode.BadRequest),
        ["surrogate: incident affected"] = new("POST", IncidentsPath, Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"x\",\"affected\":[\"workspace:" + Lone + "\"]}", HttpStatusCode.BadRequest),
        ["surrogate: incident note"] = new("POST", IncidentsPath + "/inc_nope/notes", Json, "{\"text\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: incident action owner"] = new("POST", IncidentsPath + "/inc_nope/actions", Json, "{\"text\":\"x\",\"owner\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: incident resolution"] = new("POST", IncidentsPath + "/inc_nope/resolve", Json, "{\"summary\":\"" + Reversed + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: announcement audience"] = new("POST", IncidentsPath + "/inc_nope/announcements", Json, "{\"audience\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: review findings"] = new("POST", "/api/v1/reviews/rvw_nope/complete", Json, "{\"findings\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: freeze scope"] = new("POST", "/api/v1/programs/groups/freezes", Json, "{\"scope\":\"workspace:" + Lone + "\",\"reason\":\"x\"}", HttpStatusCode.BadRequest),
        ["surrogate: freeze reason"] = new("POST", "/api/v1/programs/groups/freezes", Json, "{\"scope\":\"global\",\"reason\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: freeze lift reason"] = new("DELETE", "/api/v1/programs/groups/freezes/frz_nope", Json, "{\"reason\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: kill switch reason"] = new("POST", "/api/v1/programs/groups/kill-switches/KS3/activations", Json, "{\"scope\":\"global\",\"incident\":\"inc_nope\",\"reason\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: kill switch lift reason"] = new("DELETE", "/api/v1/programs/groups/kill-switches/KS3/activations/ks_nope", Json, "{\"reason\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: webhook url"] = new("POST", "/api/v1/webhooks", Json, "{\"url\":\"http://127.0.0.1:9/" + Lone + "\",\"events\":[\"incident.declared\"]}", HttpStatusCode.BadRequest),
        ["surrogate: grant reason"] = new("POST", "/api/v1/programs/groups/override-grants", Json, "{\"workspaceId\":\"acme\",\"action\":\"send\",\"reason\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: grant revoke reason"] = new("DELETE", "/api/v1/programs/groups/override-grants/grt_nope", Json, "{\"reason\":\"" + Lone + "\"}", HttpStatusCode.BadRequest),
        ["surrogate: definition YAML"] = new("POST", "/api/v1/definitions", "application/yaml", "program: \"groups\\ud800\"\n", HttpStatusCode.UnprocessableEntity),
        // control characters and invisible formatting in identifiers: refused everywhere by one rule (Core's Identifier)
        ["control: NUL in override scope"] = new("POST", Overrides, Json, Override(scope: "workspace:a\\u0000b"), HttpStatusCode.BadRequest),
        ["control: escape sequence in override scope"] = new("POST", Overrides, Json, Override(scope: "user:u\\u001b[31mred", extra: ",\"expiresAt\":\"2030-01-01T10:00:00Z\""), HttpStatusCode.BadRequest),
        ["control: bidi override in cohort scope"] = new("POST", Overrides, Json, Override(scope: "workspace:abc\\u202edef"), HttpStatusCode.BadRequest),
        ["control: cohort workspace with a bell"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w\\u0007\"]}", HttpStatusCode.BadRequest),
        ["control: cohort user with a carriage return"] = new("PUT", Pilot, Json, "{\"users\":[\"u-1\\rroot\"]}", HttpStatusCode.BadRequest),
        ["control: incident affected scope"] = new("POST", IncidentsPath, Json, "{\"class\":\"P3\",\"severity\":\"high\",\"trigger\":\"publish-ack-failures\",\"summary\":\"x\",\"affected\":[\"workspace:a\\u001bb\"]}", HttpStatusCode.BadRequest),
        ["control: freeze scope"] = new("POST", "/api/v1/programs/groups/freezes", Json, "{\"scope\":\"workspace:a\\u0000\",\"reason\":\"x\"}", HttpStatusCode.BadRequest),
        ["control: kill switch scope"] = new("POST", "/api/v1/programs/groups/kill-switches/KS3/activations", Json, "{\"scope\":\"workspace:\\u001b\",\"incident\":\"inc_nope\",\"reason\":\"x\"}", HttpStatusCode.BadRequest),
        ["control: grant workspace"] = new("POST", "/api/v1/programs/groups/override-grants", Json, "{\"workspaceId\":\"acme\\u0000\",\"action\":\"send\",\"reason\":\"r\"}", HttpStatusCode.BadRequest),
        ["control: grant action"] = new("POST", "/api/v1/programs/groups/override-grants", Json, "{\"workspaceId\":\"acme\",\"action\":\"se\\u001bnd\",\"reason\":\"r\"}", HttpStatusCode.BadRequest),
        ["control: token name"] = new("POST", Tokens, Json, "{\"name\":\"ci\\u001b]0;pwned\\u0007\",\"role\":\"viewer\"}", HttpStatusCode.BadRequest),
        ["control: cohort id in route"] = new("PUT", "/api/v1/programs/groups/cohorts/p%1Bx", Json, "{\"workspaces\":[\"w-1\"]}", HttpStatusCode.BadRequest),
        // bad If-Match
        ["If-Match abc on override"] = new("POST", Overrides, Json, Override(), HttpStatusCode.BadRequest, "abc"),
        ["If-Match -1 on override"] = new("POST", Overrides, Json, Override(), HttpStatusCode.BadRequest, "\"-1\""),
        ["If-Match 1.5 on stage"] = new("PUT", Stage, Json, "{\"stage\":1}", HttpStatusCode.BadRequest, "\"1.5\""),
        ["If-Match list on cohort"] = new("PUT", Pilot, Json, "{\"workspaces\":[\"w-1\"]}", HttpStatusCode.BadRequest, "\"1\", \"2\""),
        ["If-Match etag text on definition"] = new("POST", "/api/v1/definitions", "application/yaml", "program: groups", HttpStatusCode.BadRequest, "\"rev-1\""),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task BadRequest_IsRefusedWithAProblem_AndChangesNothing(string name)
    {
        var c = Cases[name];
        var head = await _server.HeadAsync();
        var auditHead = await _server.AuditHeadAsync();
        var request = RipcordTestServer.Request(new HttpMethod(c.Method), c.Path, RipcordTestServer.AdminToken, null, c.IfMatch);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(c.Body));
            if (c.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
            }
        }
        using var response = await _server.SendAsync(request);
        await ApiAssert.ProblemAsync(response, c.Status);
        Assert.Equal(head, await _server.HeadAsync());
        Assert.Equal(auditHead, await _server.AuditHeadAsync());
    }

    [Theory]
    [InlineData(Overrides)]
    [InlineData(Evaluate)]
    [InlineData(Pilot)]
    [InlineData(Stage)]
    [InlineData(Tokens)]
    public async Task JsonBodyOver1MiB_Is413Problem_AndChangesNothing(string path)
    {
        var head = await _server.HeadAsync();
        var method = path is Pilot or Stage ? HttpMethod.Put : HttpMethod.Post;
        var padding = new string('x', 1024 * 1024 + 16);
        var body = $"{{\"reason\":\"{padding}\"}}";
        using var response = await _server.SendAsync(Oversized(RipcordTestServer.Request(method, path, RipcordTestServer.AdminToken,
            new StringContent(body, Encoding.UTF8, "application/json"))));
        await ApiAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(head, await _server.HeadAsync());
    }

    [Fact]
    public async Task DefinitionOver4MiB_Is413Problem_ButADefinitionOver1MiBIsAccepted()
    {
        var head = await _server.HeadAsync();
        var yaml = RipcordServer.BuiltInGroupsYaml();
        var comment = string.Concat(Enumerable.Repeat("# " + new string('c', 1000) + "\n", 2200));
        using (var large = await _server.SendAsync(RipcordTestServer.Request(HttpMethod.Post, "/api/v1/definitions",
                   RipcordTestServer.AdminToken, RipcordTestServer.Yaml(comment + yaml))))
        {
            Assert.True(comment.Length > 2 * 1024 * 1024);
            var applied = await ApiAssert.SuccessJsonAsync(large);
            Assert.Equal(head + 1, applied.GetProperty("revision").GetInt64());
        }

        var huge = string.Concat(Enumerable.Repeat("# " + new string('c', 1000) + "\n", 5 * 1024)) + yaml;
        foreach (var path in new[] { "/api/v1/definitions", "/api/v1/programs/groups/definition" })
        {
            using var response = await _server.SendAsync(Oversized(RipcordTestServer.Request(HttpMethod.Post, path,
                RipcordTestServer.AdminToken, RipcordTestServer.Yaml(huge))));
            await ApiAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        }
        Assert.Equal(head + 1, await _server.HeadAsync());
    }

    /// <summary>
    /// Large uploads announce themselves with Expect: 100-continue (as curl does past 1 MiB), so a
    /// server refusing the size answers before the body is sent, instead of the client writing
    /// into a connection the server has already closed.
    /// </summary>
    private static HttpRequestMessage Oversized(HttpRequestMessage request)
    {
        request.Headers.ExpectContinue = true;
        return request;
    }
}
