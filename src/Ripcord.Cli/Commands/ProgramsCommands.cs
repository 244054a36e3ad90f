using System.CommandLine;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord programs</c>: the programs this server runs.</summary>
public static class ProgramsCommands
{
    public static Command Create(VerbFactory verbs) =>
        verbs.Group("program", "List programs", ["ripcord program list"],
            verbs.Verb("list", "List programs with their revision and stage",
                ["ripcord program list", "ripcord program list --json"],
                async (context, ct) =>
                {
                    var programs = await context.Api.ListProgramsAsync(ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(programs.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("PROGRAM", "REVISION", "STAGE", "FLAGS", "COHORTS", "OVERRIDES")
                        .AddRows(programs.Value, p =>
                        [
                            new Cell(p.Key, Tone.Strong), Words.Number(p.Revision), p.Stage, Words.Number(p.Flags),
                            Words.Number(p.Cohorts), Words.Number(p.Overrides),
                        ]));
                    return ExitCodes.Success;
                }));
}
