namespace Ripcord.Server.Ui;

/// <summary>The dashboard's script and style, served by the app itself (no CDN: it works air-gapped; the CSP allows only 'self').</summary>
public static class DashboardAssets
{
    /// <summary>Live regions: each element with data-live follows its server-sent event stream and swaps in the fragment it sends.</summary>
    public const string Script = """
        "use strict";
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var source = new EventSource(el.getAttribute("data-live"));
          source.addEventListener("update", function (e) { el.innerHTML = e.data; el.setAttribute("data-updated", String(Date.now())); });
          source.addEventListener("signed-out", function () { source.close(); window.location.assign("/"); });
        });
        """;

    public const string Style = """
        :root { font-family: system-ui, sans-serif; color: #1a1a1a; background: #fafafa; }
        body { margin: 0; }
        header { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; background: #222; color: #fff; }
        header a.brand { color: #fff; font-weight: bold; text-decoration: none; }
        header form { display: inline; margin-left: 1rem; }
        header nav { flex: 1; margin: 0 1rem; }
        header nav a { color: #fff; margin-right: .6rem; }
        header nav a:focus, a:focus, button:focus, input:focus, select:focus { outline: 2px solid #4d90fe; outline-offset: 1px; }
        header .nav-program { color: #bbb; margin-right: .3rem; }
        main { padding: 1rem; max-width: 80rem; }
        section { background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: .5rem 1rem; margin-bottom: 1rem; }
        dl.facts { display: flex; flex-wrap: wrap; gap: 1rem 2rem; margin: 0; }
        dl.facts dt { font-size: .8rem; color: #555; }
        dl.facts dd { margin: 0; font-weight: 600; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eee; }
        label { display: block; margin: .4rem 0; }
        input, select, button { font: inherit; }
        button { padding: .3rem .8rem; cursor: pointer; }
        button.danger { background: #b00020; color: #fff; border: none; border-radius: 3px; padding: .6rem 1rem; }
        .error { color: #b00020; font-weight: 600; }
        .note, .empty { color: #555; }
        .v-verified { color: #05690d; font-weight: 600; }
        .v-failed { color: #b00020; font-weight: 600; }
        .v-pending { color: #8a5a00; font-weight: 600; }
        ol.milestones { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; margin: .5rem 0; }
        ol.milestones li { flex: 1 1 8rem; border-top: 4px solid #ccc; padding: .3rem .4rem; font-size: .85rem; }
        ol.milestones li.done { border-top-color: #05690d; }
        ol.milestones li.todo { color: #777; }
        ol.timeline { padding-left: 1.2rem; font-size: .9rem; }
        ol.timeline .kind { font-weight: 600; }
        ol.timeline .by, ol.timeline time { color: #555; }
        form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .4rem 0; }
        form.inline label { margin: 0; }
        pre { white-space: pre-wrap; background: #f4f4f4; padding: .5rem; border-radius: 3px; }
        article.announcement, article.review { border-top: 1px solid #eee; padding: .3rem 0; }
        @media (max-width: 600px) { dl.facts { display: block; } th, td { font-size: .85rem; } table { display: block; overflow-x: auto; max-width: 100%; } main { padding: .5rem; } header { flex-wrap: wrap; } header nav { order: 3; flex-basis: 100%; margin: .3rem 0 0; } }
        /* stage, audit */
        .pass { color: #05690d; font-weight: 600; white-space: nowrap; }
        .fail { color: #b00020; font-weight: 600; white-space: nowrap; }
        table.checklist tr.failed { background: #fff3f4; }
        .scroll { overflow-x: auto; }
        form.inline label, form.filters label { display: inline-block; margin-right: 1rem; }
        label.check input { margin-right: .4rem; }
        .plan h3 { font-size: 1rem; margin: .8rem 0 .3rem; }
        .rollback-run { border-top: 1px solid #eee; padding: .3rem 0; }
        .rollback-run ol.steps { margin: .2rem 0; padding-left: 1.4rem; }
        .confirm { border: 2px solid #b00020; border-radius: 4px; padding: .5rem 1rem; background: #fff; }
        table.audit td.target { word-break: break-all; }
        @media (max-width: 600px) { form.inline label, form.filters label { display: block; margin-right: 0; } .scroll table { min-width: 36rem; } input, select { max-width: 100%; } }
        /* flags, charts */
        .wide { overflow-x: auto; }
        .on { color: #05690d; font-weight: 600; }
        .off { color: #555; }
        small.source { color: #555; }
        .badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .75rem; font-weight: 600; }
        .badge.emergency { background: #b00020; color: #fff; }
        tr.expired td { color: #777; }
        form.override, form.charts-scope { display: flex; flex-wrap: wrap; gap: .2rem 1rem; align-items: flex-end; }
        form.remove-override { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end; margin: .3rem 0; }
        form.remove-override label { flex: 1 1 20rem; }
        form.remove-override input { width: 100%; box-sizing: border-box; }
        section.chart .chart-box { position: relative; height: 260px; margin: .5rem 0; }
        tr.total th, tr.total td { font-weight: 600; }
        ul.firings { color: #b00020; }
        @media (max-width: 600px) { form.override, form.charts-scope { display: block; } section.chart .chart-box { height: 200px; } section { padding: .5rem; } }
        """;
}
