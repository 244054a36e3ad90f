using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Ripcord.Cli.Commands;

/// <summary>
/// The standard help, followed by the command's examples: System.CommandLine 2.0 keeps its help
/// layout internal, so examples are appended rather than laid out by it.
/// </summary>
public sealed class HelpWithExamples(HelpAction standard, IReadOnlyList<string> rootExamples) : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var exitCode = standard.Invoke(parseResult);
        var examples = parseResult.CommandResult.Command switch
        {
            RipcordCommand command => command.Examples,
            RootCommand => rootExamples,
            _ => [],
        };
        if (examples.Count > 0)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            foreach (var example in examples)
            {
                output.WriteLine("  " + example);
            }
            output.WriteLine();
        }
        return exitCode;
    }

    /// <summary>Puts this action behind the root's help option (which every subcommand inherits).</summary>
    public static void Install(RootCommand root, IReadOnlyList<string> rootExamples)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((HelpAction)help.Action!, rootExamples);
    }
}
