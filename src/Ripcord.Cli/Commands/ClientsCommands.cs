using System.CommandLine;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord clients</c>: the SDK instances a program's configuration reaches.</summary>
public static class ClientsCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var limit = new Option<int?>("--limit") { Description = "At most this many instances (server default 500, at most 5000)" };
        var after = new Option<string?>("--after") { Description = "Instances after this instance id (the previous page's next)" };
        return verbs.Group("client", "Connected SDK instances and the revision each has applied", ["ripcord client list"],
            verbs.Verb("list", "List SDK instances with their applied revision; the first line says how many are at the head",
                ["ripcord client list", "ripcord client list --json | jq '.atHead'", "ripcord client list --limit 1000 --after web-0999"],
                async (context, ct) =>
                {
                    var clients = await context.Api.ListClientsAsync(context.Program, context.Get(limit), context.Get(after), ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(clients.Raw);
                        return ExitCodes.Success;
                    }
                    var view = clients.Value;
                    context.Terminal.Line($"{view.Program}: revision {view.HeadRevision}; {view.Connected} connected, {view.AtHead} at the head");
                    context.Terminal.Table(new TableView("INSTANCE", "CONNECTED", "APPLIED", "STATE", "SDK", "TOKEN", "LAST SEEN")
                        .AddRows(view.Clients, c =>
                        [
                            c.Instance, Words.YesNo(c.Connected),
                            new Cell(Words.Number(c.AppliedRevision), c.AppliedRevision >= view.HeadRevision ? Tone.Good : Tone.Warning),
                            c.State, c.Sdk, c.TokenName, Words.Time(c.LastSeen),
                        ]));
                    if (view.Next is { } next)
                    {
                        context.Terminal.Note($"{view.Clients.Count} of {view.Total} shown; the next page: ripcord client list --after {next}");
                    }
                    return ExitCodes.Success;
                }, limit, after));
    }
}
