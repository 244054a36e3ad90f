using System.CommandLine;
using Ripcord.Cli;
using Ripcord.Cli.Commands;

var root = new RootCommand("""
    Ripcord: staged rollouts behind scoped feature flags, deterministic fallback by mission tier,
    graded kill switches, and the audit trail around them.

    Start a server:   ripcord serve                      (SQLite in ./ripcord-data, http://127.0.0.1:7070)
    Operate it:       ripcord <verb> --server URL --token T   (or RIPCORD_SERVER / RIPCORD_TOKEN)
    """);
foreach (var option in GlobalOptions.All)
{
    root.Options.Add(option);
}
root.Subcommands.Add(ServeCommand.Create());
foreach (var command in OperatorCommands.Create())
{
    root.Subcommands.Add(command);
}
return await root.Parse(args).InvokeAsync();
