using System.CommandLine;
using Ripcord.Cli.Commands;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli;

/// <summary>The <c>ripcord</c> command line: every verb group, the global options, help with examples.</summary>
public static class CliApp
{
    private static readonly string[] RootExamples =
    [
        "ripcord serve",
        "export RIPCORD_TOKEN=…; ripcord flags list",
        "ripcord evaluate --workspace acme --tier 1",
        "ripcord override set --flag F3 --scope workspace:acme --value on --reason \"secure pilot with Acme\"",
    ];

    public static RootCommand Build(Terminal terminal)
    {
        var root = new RootCommand("""
            Ripcord: staged rollouts behind scoped feature flags, deterministic fallback by mission tier,
            graded kill switches, and the audit trail around them.

            Start a server:   ripcord serve                      (SQLite in ./ripcord-data, http://127.0.0.1:7070)
            Operate it:       ripcord <verb> --server URL --token T   (or RIPCORD_SERVER / RIPCORD_TOKEN)
            """);
        var options = new GlobalOptions();
        foreach (var option in options.All)
        {
            root.Options.Add(option);
        }
        var verbs = new VerbFactory(options, terminal);
        Command[] commands =
        [
            ServeCommand.Create(),
            ProgramsCommands.Create(verbs),
            FlagsCommands.Create(verbs),
            CohortCommands.Create(verbs),
            OverrideCommands.Create(verbs),
            StageCommands.Create(verbs),
            EvaluateCommand.Create(verbs),
            RevisionsCommands.Create(verbs),
            DefinitionCommands.Create(verbs),
            AuditCommands.Create(verbs),
            TokenCommands.Create(verbs),
            ClientsCommands.Create(verbs),
        ];
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }
        HelpWithExamples.Install(root, RootExamples);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, Terminal terminal)
    {
        var root = Build(terminal);
        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = terminal.Output, Error = terminal.Error });
    }
}
