using System.CommandLine;
using Ripcord.Cli.Rendering;
using Ripcord.Core.Definitions;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord definition</c>: a program's flags, stages, kill switches and policies as one YAML file.</summary>
public static class DefinitionCommands
{
    public static Command Create(VerbFactory verbs)
    {
        var file = new Argument<FileInfo>("file") { Description = "Definition YAML file" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of standard output" };
        var ifMatch = new Option<long?>("--if-match") { Description = "Only apply if the program is still at this revision" };

        return verbs.Group("definition", "Program definitions as YAML",
            ["ripcord definition export -o groups.yaml", "ripcord definition validate groups.yaml", "ripcord definition apply groups.yaml"],
            verbs.Verb("apply", "Create a program or replace its definition from YAML (validated locally, then by the server)",
                ["ripcord definition apply groups.yaml", "ripcord definition apply groups.yaml --if-match 17"],
                async (context, ct) =>
                {
                    var path = Existing(context.Get(file));
                    var yaml = await File.ReadAllTextAsync(path.FullName, ct);
                    var local = DefinitionReader.Read(yaml);
                    if (!local.IsValid)
                    {
                        throw new CliException($"{path.Name} is not a valid definition; nothing was sent:" +
                            string.Concat(local.Errors.Select(e => Environment.NewLine + "  " + e)), ExitCodes.Refused);
                    }
                    var applied = await context.Api.ApplyDefinitionAsync(yaml, context.Get(ifMatch), ct: ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(applied.Raw);
                        return ExitCodes.Success;
                    }
                    var result = applied.Value;
                    context.Terminal.Line($"Applied {path.Name} to program {result.Program}: revision {result.Revision}.");
                    if (result.DroppedOverrides.Count > 0)
                    {
                        context.Terminal.Line($"Dropped overrides that no longer fit the definition: {Words.List(result.DroppedOverrides)}");
                    }
                    if (result.DroppedKillSwitches.Count > 0)
                    {
                        context.Terminal.Line($"Dropped kill switches that no longer fit the definition: {Words.List(result.DroppedKillSwitches)}");
                    }
                    if (result.StageReset is { } reset)
                    {
                        context.Terminal.Line($"The previous stage no longer exists; now at stage {reset}.");
                    }
                    return ExitCodes.Success;
                }, file, ifMatch),
            verbs.Verb("export", "Print the program's current definition (with live cohorts) as YAML",
                ["ripcord definition export", "ripcord definition export -o groups.yaml"],
                async (context, ct) =>
                {
                    var yaml = (await context.Api.GetDefinitionAsync(context.Program, ct)).Value;
                    if (context.Get(output) is { } target)
                    {
                        await File.WriteAllTextAsync(target.FullName, yaml, ct);
                        context.Terminal.Note($"Wrote {target.FullName}");
                    }
                    else
                    {
                        context.Terminal.Output.Write(yaml);
                    }
                    return ExitCodes.Success;
                }, output),
            verbs.Verb("validate", "Check a definition file locally, listing every error with its line; exit 1 if it is invalid",
                ["ripcord definition validate groups.yaml"],
                (context, _) =>
                {
                    var path = Existing(context.Get(file));
                    var result = DefinitionReader.Read(File.ReadAllText(path.FullName));
                    foreach (var error in result.Errors)
                    {
                        context.Terminal.Note($"{path.Name}:{error}");
                    }
                    context.Terminal.Line(result.IsValid
                        ? $"{path.Name}: valid ({result.Definition!.Flags.Length} flags)"
                        : $"{path.Name}: {result.Errors.Count} error(s)");
                    return Task.FromResult(result.IsValid ? ExitCodes.Success : ExitCodes.CheckFailed);
                }, file));
    }

    private static FileInfo Existing(FileInfo path) =>
        path.Exists ? path : throw new CliException($"no such file: {path.FullName}");
}
