using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Ripcord.Server.Tests.Gates;
using static Microsoft.Playwright.Assertions;
using static Ripcord.Server.Tests.KillSwitches.KillSwitchHarness;

namespace Ripcord.Server.Tests.Dashboard;

/// <summary>
/// The stage and audit pages in headless Chromium against a real server (issue 12): a refused advance shows the checklist
/// with what failed; a viewer's crafted advance is refused and writes nothing; the rollback plan, then a rollback started
/// from the page for an incident, verified; the audit log filtered by action and its chain verified; a revision diff in words.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardStageAuditTests(DashboardBrowser browser) : IAsyncLifetime
{
    private const string StagePage = "/ui/programs/groups/stage";
    private const int PageSize = Ripcord.Server.Ui.DashboardEndpoints.AuditPageSize;
    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync(clock: TimeProvider.System);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task TheApiSearchesTheAuditLogAsTheAuditPageDoes_ByActorActionAndTarget_NewestFirst_PagedWithBefore()
    {
        var olga = await _server.CreateTokenAsync("operator", "olga");
        for (var i = 0; i < 3; i++)
        {
            await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides",
                new { flag = "F1", scope = $"workspace:w-{i}", value = true, reason = "search" }, token: olga);
        }
        await _server.OkAsync(HttpMethod.Post, "/api/v1/programs/groups/overrides", new { flag = "F2", scope = "workspace:w-9", value = true, reason = "admin's" });

        var first = await _server.GetAsync("/api/v1/audit?actor=olga&action=override.create&limit=2");
        var entries = first.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal(("olga", "override.create"), (e.GetProperty("actor").GetString(), e.GetProperty("action").GetString())));
        Assert.True(entries[0].GetProperty("seq").GetInt64() > entries[1].GetProperty("seq").GetInt64()); // newest first
        var next = first.GetProperty("next").GetInt64();
        var rest = (await _server.GetAsync($"/api/v1/audit?actor=olga&action=override.create&before={Text(next)}")).GetProperty("entries").EnumerateArray().ToList();
        Assert.Single(rest);

        var page = await DashboardHttp.SignedInAsync(_server, await _server.CreateTokenAsync("security-lead", "sam"));
        var html = await page.GetStringAsync("/ui/audit?actor=olga&action=override.create");
        var seqs = Regex.Matches(html, "data-seq=\"(\\d+)\"").Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(entries.Concat(rest).Select(e => e.GetProperty("seq").GetInt64()), seqs);
    }

    [Fact]
    public async Task AReleaseManagersAdvance_IsRefusedWithTheChecklist_NamingEachFailedCriterion_AndNothingChanges()
    {
        // What the API's dry run says fails now: the page must name exactly these.
        var dryRun = await _server.OkAsync(HttpMethod.Post, $"{GateHarness.Api}/stage/advance", new { to = "1", dryRun = true });
        var failing = dryRun.GetProperty("failing").EnumerateArray().Select(f => f.GetString()!).ToList();
        var passing = dryRun.GetProperty("criteria").EnumerateArray().Where(c => c.GetProperty("passed").GetBoolean())
            .Select(c => c.GetProperty("name").GetString()!).ToList();
        Assert.NotEmpty(failing); // a fresh program has dwelt no time at stage 0, has no CI checks: it may not advance
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("release-manager", "rita"));
        var head = await _server.HeadAsync();
        var audit = await _server.AuditHeadAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Stage", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-test=current-stage]")).ToContainTextAsync("0");
        // The live checklist for the next stage, before anyone presses anything.
        foreach (var name in failing)
        {
            await Expect(page.Locator($"#stage [data-test=checklist] tr[data-criterion='{name}']")).ToContainTextAsync("✗ fail");
        }

        await page.Locator("section.advance").GetByLabel("To stage").SelectOptionAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Advance" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Stage 1 refused" })).ToBeVisibleAsync();
        var error = page.Locator("[data-test=error]");
        await Expect(error).ToContainTextAsync("Refused: stage 1 refused:");
        foreach (var name in failing)
        {
            await Expect(error).ToContainTextAsync(name);
            await Expect(page.Locator($"[data-test=checklist] tr[data-criterion='{name}']")).ToContainTextAsync("✗ fail");
        }
        foreach (var name in passing)
        {
            await Expect(page.Locator($"[data-test=checklist] tr[data-criterion='{name}']")).ToContainTextAsync("✓ pass");
        }
        Assert.Equal(head, await _server.HeadAsync());
        Assert.Equal("0", (await _server.GetAsync($"{GateHarness.Api}/stage")).GetProperty("stage").GetString());
        Assert.Equal(audit, await _server.AuditHeadAsync());
    }

    [Fact]
    public async Task TheChecklistsEvidence_LinksTheCiRunTheIncidentAndTheReview()
    {
        await _server.PostCheckAsync(await _server.CreateTokenAsync("operator", "ci"), "quality", "pilot");
        var incident = await _server.DeclareAsync();
        await _server.OkAsync(HttpMethod.Post, $"/api/v1/programs/groups/incidents/{incident}/actions", new { text = "follow up" });
        var http = await DashboardHttp.SignedInAsync(_server, await _server.CreateTokenAsync("viewer", "vera"));
        var html = await http.GetStringAsync(StagePage);

        Assert.Contains("<a href=\"https://ci.example/quality/pilot\" rel=\"noreferrer noopener\">https://ci.example/quality/pilot</a>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/ui/programs/groups/incidents/{incident}\" rel=\"noreferrer noopener\">{incident}/a1</a>", html, StringComparison.Ordinal);
        // Text that only looks like a link stays text, and is encoded.
        Assert.Equal("see javascript:alert(1) &lt;b&gt;", Ripcord.Server.Ui.DashboardEndpoints.Evidence("groups", "see javascript:alert(1) <b>"));
    }

    [Fact]
    public async Task AViewersCraftedAdvance_WithAValidAntiforgeryToken_IsRefused403_Audited_AndWritesNothing()
    {
        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "vera"));
        await page.GotoAsync(StagePage);
        await Expect(page.Locator("section.advance .note").Last).ToContainTextAsync("may not advance a stage"); // said up front
        var head = await _server.HeadAsync();
        var auditHead = await _server.AuditHeadAsync();
        var knownSafe = (await _server.GetAsync($"{GateHarness.Api}/revisions/known-safe")).GetRawText();

        var csrf = await page.Locator("input[name=__csrf]").First.GetAttributeAsync("value");
        foreach (var (path, fields) in new (string, (string, string)[])[]
        {
            (StagePage + "/advance", [("to", "1")]),
            ("/ui/programs/groups/known-safe", [("revision", "1"), ("reason", "crafted")]),
        })
        {
            var form = page.Context.APIRequest.CreateFormData();
            form.Set("__csrf", csrf!);
            foreach (var (name, value) in fields)
            {
                form.Set(name, value);
            }
            var crafted = await page.APIRequest.PostAsync(path, new() { Form = form });
            Assert.Equal(403, crafted.Status);
            Assert.Contains("Refused: role &#x27;viewer&#x27; may not", await crafted.TextAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(head, await _server.HeadAsync());
        Assert.Equal("0", (await _server.GetAsync($"{GateHarness.Api}/stage")).GetProperty("stage").GetString());
        Assert.Equal(knownSafe, (await _server.GetAsync($"{GateHarness.Api}/revisions/known-safe")).GetRawText());
        var written = await _server.AuditAfterAsync(auditHead);
        Assert.NotEmpty(written);
        Assert.All(written, e => Assert.Equal("denied", e.GetProperty("outcome").GetString())); // the refusals, and nothing else
        Assert.Contains(written, e => e.GetProperty("target").GetString() == $"POST {StagePage}/advance");
        Assert.Contains(written, e => e.GetProperty("target").GetString() == "POST /ui/programs/groups/known-safe");

        // The audit log itself needs AuditRead, as in the API: a viewer is refused it too.
        var audit = await page.GotoAsync("/ui/audit");
        Assert.Equal(403, audit!.Status);
        await Expect(page.Locator("[data-test=error]")).ToContainTextAsync("may not read the audit log");
    }

    [Fact]
    public async Task TheRollbackPlan_IsShown_AndARollbackStartedFromThePageForAnIncident_EndsVerified()
    {
        await _server.PutCohortAsync("pilot", new { workspaces = new[] { "acme", "globex" } });
        var safe = await _server.HeadAsync();
        await _server.OkAsync(HttpMethod.Post, $"{GateHarness.Api}/revisions/{safe}/known-safe", new { reason = "pilot was healthy" });
        await _server.SetOverrideAsync("F3", "workspace:w-1", true);
        var before = await _server.HeadAsync();
        var incident = await _server.DeclareAsync();
        var plan = await _server.GetAsync($"{GateHarness.Api}/rollback/plan");

        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("release-manager", "rita"));
        await page.GotoAsync(StagePage);
        var shown = page.Locator("section.rollback-plan [data-test=rollback-plan]");
        await Expect(shown.Locator("[data-test=plan-target]")).ToContainTextAsync($"from revision {Text(before)} (stage 0) to revision {Text(safe)} (stage 0)");
        await Expect(shown.Locator("[data-test=plan-overrides]")).ToContainTextAsync("removed");
        await Expect(shown.Locator("[data-test=plan-overrides]")).ToContainTextAsync("workspace:w-1");
        foreach (var change in plan.GetProperty("changes").EnumerateArray())
        {
            await Expect(shown.Locator("[data-test=plan-changes]")).ToContainTextAsync(change.GetProperty("words").GetString()!);
        }
        await Expect(shown.Locator("[data-test=plan-differences]")).ToContainTextAsync("workspace:w-1");
        await Expect(page.Locator("[data-test=no-rollbacks]")).ToBeVisibleAsync();

        var form = page.Locator("section.rollback-plan form[method=post]");
        await form.GetByLabel("Incident").SelectOptionAsync(incident);
        await form.GetByLabel("Reason").FillAsync("w-1 override broke sends");
        await form.GetByRole(AriaRole.Button, new() { Name = "Review rollback…" }).ClickAsync();

        // The confirmation repeats the plan and changes nothing yet.
        await Expect(page.Locator("[data-test=confirm]")).ToContainTextAsync($"For incident {incident}");
        await Expect(page.Locator("[data-test=confirm] [data-test=plan-overrides]")).ToContainTextAsync("workspace:w-1");
        Assert.Equal(before, await _server.HeadAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = $"Roll back to revision {Text(safe)} now" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(StagePage) + "$"));
        var run = page.Locator("[data-test=rollback-run]").First;
        await Expect(run).ToContainTextAsync($"for incident {incident}: revision {Text(before)} → {Text(safe)}");
        await Expect(run.Locator("[data-test=rollback-status]")).ToHaveTextAsync("✓ completed, verified");
        await Expect(run.Locator("[data-test=rollback-verification]")).ToContainTextAsync("evaluation equals the target's");
        await Expect(page.Locator("[data-test=stage-lock]")).ToContainTextAsync("rollback rbk_");
        await Expect(page.Locator("#stage [data-test=freezes]")).ToContainTextAsync("frz_");
        // The overview says so too, linking the incident.
        await page.GotoAsync("/");
        await Expect(page.Locator("[data-program=groups] [data-test=stage-lock]")).ToContainTextAsync($"held by a rollback for {incident}");

        var runs = await _server.GetAsync($"{GateHarness.Api}/rollbacks");
        var stored = Assert.Single(runs.EnumerateArray());
        Assert.Equal("completed", stored.GetProperty("status").GetString());
        Assert.Equal(incident, stored.GetProperty("incidentId").GetString());
        Assert.Equal("w-1 override broke sends", stored.GetProperty("reason").GetString());
        Assert.Equal(before + 1, await _server.HeadAsync());
    }

    [Fact]
    public async Task TheAuditLog_FiltersByAction_PagesOlder_AndVerifyChainSaysIntact()
    {
        await _server.OkAsync(HttpMethod.Post, $"{GateHarness.Api}/revisions/1/known-safe", new { reason = "dogfood was clean" });
        await _server.SetOverrideAsync("F3", "workspace:w-2", true);
        var w2 = await _server.AuditHeadAsync(); // the override's audit entry
        await _server.DeclareAsync();

        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("ops-lead", "olga"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit log" })).ToBeVisibleAsync();
        var rows = page.Locator("[data-test=audit] tbody tr");
        var all = await rows.Locator("td.action").AllTextContentsAsync();
        Assert.Contains("override.create", all);
        Assert.Contains("revision.known-safe", all);
        var seqs = (await rows.EvaluateAllAsync<long[]>("rs => rs.map(r => Number(r.dataset.seq))")).ToList();
        Assert.Equal(seqs.OrderByDescending(s => s), seqs); // newest first

        await page.GetByLabel("Action").SelectOptionAsync("revision.known-safe");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Locator("td.action")).ToHaveTextAsync("revision.known-safe");
        await Expect(rows.Locator("td.target")).ToHaveTextAsync("revision:groups/1");

        await page.GetByRole(AriaRole.Button, new() { Name = "Verify chain" }).ClickAsync();
        var entries = await _server.AuditHeadAsync();
        await Expect(page.Locator("[data-test=verify-result]")).ToContainTextAsync("✓ Intact");
        await Expect(page.Locator("[data-test=verify-result]")).ToContainTextAsync("entries checked");
        Assert.True(entries > 3);
        await Expect(rows.Locator("td.action")).ToHaveTextAsync("revision.known-safe"); // the filter stays on

        // More than a page: "Older" continues below the last row shown, with the same filter.
        for (var i = 0; i < PageSize; i++)
        {
            await _server.SetOverrideAsync("F3", $"workspace:w-page-{i}", true);
        }
        await page.GotoAsync("/ui/audit?action=override.create");
        await Expect(rows).ToHaveCountAsync(PageSize);
        var firstPage = await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.seq)");
        await page.Locator("[data-test=older]").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1); // 101 overrides: the oldest, w-2's, is left for the second page
        await Expect(rows).ToHaveAttributeAsync("data-seq", Text(w2));
        await Expect(rows.Locator("td.action")).ToHaveTextAsync("override.create");
        Assert.DoesNotContain(Text(w2), firstPage);
    }

    [Fact]
    public async Task TheRevisionDiff_BetweenTwoRevisions_NamesTheChangedFlagAndScope_InTheApisWords()
    {
        await _server.SetOverrideAsync("F3", "workspace:w-diff", true);
        var to = await _server.HeadAsync();
        var diff = await _server.GetAsync($"{GateHarness.Api}/revisions/diff?from={to - 1}&to={to}");
        var words = diff.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("words").GetString()!).ToList();
        Assert.Contains(words, w => w.Contains("workspace:w-diff", StringComparison.Ordinal));
        var subject = diff.GetProperty("changes")[0].GetProperty("subject").GetString()!;

        var page = await browser.OpenAsync(_server);
        await DashboardBrowser.SignInAsync(page, await _server.CreateTokenAsync("viewer", "vic"));
        await page.GotoAsync("/ui/programs/groups/revisions");
        await Expect(page.Locator($"[data-test=revisions] tr[data-revision='{Text(to)}']")).ToBeVisibleAsync();
        await page.GetByLabel("From").FillAsync(Text(to - 1));
        await page.GetByLabel("To", new() { Exact = true }).FillAsync(Text(to));
        await page.GetByRole(AriaRole.Button, new() { Name = "Show difference" }).ClickAsync();

        var table = page.Locator("table[data-test=diff]");
        await Expect(table).ToContainTextAsync("workspace:w-diff");
        await Expect(table.Locator($"tr[data-subject='{subject}']")).ToBeVisibleAsync();
        foreach (var w in words)
        {
            await Expect(table).ToContainTextAsync(w);
        }

        // The same revisions the other way round read as the opposite change; an unknown revision is the service's message.
        await page.GotoAsync($"/ui/programs/groups/revisions?from={Text(to)}&to={Text(to - 1)}");
        await Expect(page.Locator("table[data-test=diff]")).ToContainTextAsync("workspace:w-diff");
        await page.GotoAsync($"/ui/programs/groups/revisions?from=1&to={Text(to + 5)}");
        await Expect(page.Locator("[data-test=error]")).ToContainTextAsync($"has no revision {Text(to + 5)}");
    }
}
