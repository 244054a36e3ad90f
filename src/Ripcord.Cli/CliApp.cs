using System.CommandLine;
using System.CommandLine.Invocation;
using Ripcord.Cli.Commands;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli;

/// <summary>The <c>ripcord</c> command line: every verb group, the global options, help with examples.</summary>
public static class CliApp
{
    private static readonly string[] RootExamples =
    [
        "ripcord serve",
        "export RIPCORD_TOKEN=…; ripcord flag list",
        "ripcord evaluate --workspace acme --tier 1",
        "ripcord override set --flag F3 --scope workspace:acme --value on --reason \"secure pilot with Acme\"",
    ];

    /// <summary>Verb groups renamed to singular nouns (old → new); the old names stay as hidden aliases (`alerts`: the spelling issue 10 uses).</summary>
    private static readonly (string Old, string Current)[] RenamedGroups =
        [("programs", "program"), ("flags", "flag"), ("revisions", "revision"), ("clients", "client"), ("alerts", "alert")];

    public static RootCommand Build(Terminal terminal) => Build(terminal, new GlobalOptions());

    private static RootCommand Build(Terminal terminal, GlobalOptions options)
    {
        var root = new RootCommand("""
            Ripcord: staged rollouts behind scoped feature flags, deterministic fallback by mission tier,
            graded kill switches, and the audit trail around them.

            Start a server:   ripcord serve                      (SQLite in ./ripcord-data, http://127.0.0.1:7070)
            Operate it:       ripcord <verb> --server URL --token T   (or RIPCORD_SERVER / RIPCORD_TOKEN)
            Or once:          ripcord config set server URL; ripcord login   (profiles: --profile NAME)
            """);
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
            MetricsCommands.Create(verbs),
            IncidentCommands.Create(verbs),
            KillSwitchCommands.Create(verbs),
            GrantCommands.Create(verbs),
            ReviewCommands.Create(verbs),
            AlertCommands.Create(verbs),
            FreezeCommands.Create(verbs),
            WebhookCommands.Create(verbs),
            .. GateCommands.Create(verbs),
            RampCommands.Create(verbs),
            RollbackCommands.Create(verbs),
            FixCommands.Create(verbs),
            .. ConfigCommands.Create(verbs),
            ReadyCommand.Create(verbs),
            .. VersionCommand.Create(verbs),
        ];
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }
        // The plural spellings of earlier releases still work, unlisted, for one more release: same verbs, hidden.
        foreach (var (old, current) in RenamedGroups)
        {
            var group = (RipcordCommand)commands.Single(c => c.Name == current);
            var alias = new RipcordCommand(old, group.Description ?? "", group.Examples) { Hidden = true };
            foreach (var verb in group.Subcommands)
            {
                alias.Subcommands.Add(verb);
            }
            root.Subcommands.Add(alias);
        }
        HelpWithExamples.Install(root, RootExamples);
        return root;
    }

    /// <summary>Parses and runs one command line; the result is the process's exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, Terminal terminal)
    {
        var options = new GlobalOptions();
        var parse = Build(terminal, options).Parse(args);
        // Our own report instead of System.CommandLine's (the errors, then the whole help on stdout):
        // one line per error on stderr, exit 2, and with --json a problem a script can read.
        if (parse.Action is ParseErrorAction)
        {
            return Failures.ReportUsage(parse, options, terminal);
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = terminal.Output, Error = terminal.Error });
    }
}
