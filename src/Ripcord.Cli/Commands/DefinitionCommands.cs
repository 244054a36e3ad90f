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
        var dryRun = new Option<bool>("--dry-run") { Description = "Only print what applying would change (flags, cohorts, stages, levels, templates; what it drops); change nothing" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Apply even if it empties a live cohort or drops overrides or kill switches, without asking" };

        return verbs.Group("definition", "Program definitions as YAML",
            ["ripcord definition export -o groups.yaml", "ripcord definition validate groups.yaml", "ripcord definition apply groups.yaml"],
            verbs.Verb("apply", "Create a program or replace its definition from YAML (validated locally, then by the server). Says what it changes; asks first if it empties a live cohort or drops overrides or kill switches",
                ["ripcord definition apply groups.yaml --dry-run", "ripcord definition apply groups.yaml", "ripcord definition apply groups.yaml --if-match 17 --yes"],
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
                    var preview = await context.Api.ApplyDefinitionAsync(yaml, context.Get(ifMatch), ct: ct, dryRun: true);
                    if (context.Get(dryRun))
                    {
                        if (context.Json)
                        {
                            context.Terminal.Json(preview.Raw);
                            return ExitCodes.Success;
                        }
                        context.Terminal.Line($"Applying {path.Name} to program {preview.Value.Program} (now at revision {preview.Value.Revision}) would change:");
                        ChangeList.Write(context.Terminal, preview.Value.Changes, "  nothing: it is what the program already has.");
                        Losses(context, preview.Value);
                        context.Terminal.Note("Dry run: nothing was changed.");
                        return ExitCodes.Success;
                    }
                    var losses = preview.Value.Changes.Count(c => c.Warning);
                    if (losses > 0 && !context.Json)
                    {
                        context.Terminal.Line($"Applying {path.Name} would change:");
                        ChangeList.Write(context.Terminal, preview.Value.Changes);
                    }
                    if (losses > 0 && !context.Terminal.Confirm(
                            $"This apply loses {losses} live thing(s) marked '!' above (emptied cohorts, dropped overrides or kill switches). Apply it?",
                            context.Get(yes)))
                    {
                        context.Terminal.Line("Not applied; nothing was changed.");
                        return ExitCodes.CheckFailed;
                    }
                    // Applied on the revision the preview was made against: if it moved meanwhile, this is a 409, not a surprise.
                    var applied = await context.Api.ApplyDefinitionAsync(yaml, context.Get(ifMatch) ?? (preview.Value.Changes.Count > 0 && preview.Value.Revision > 0 ? preview.Value.Revision : null), ct: ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(applied.Raw);
                        return ExitCodes.Success;
                    }
                    var result = applied.Value;
                    context.Terminal.Line($"Applied {path.Name} to program {result.Program}: revision {result.Revision}.");
                    if (losses == 0)
                    {
                        ChangeList.Write(context.Terminal, result.Changes);
                    }
                    Losses(context, result);
                    return ExitCodes.Success;
                }, file, ifMatch, dryRun, yes),
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

    private static void Losses(VerbContext context, Ripcord.Server.Programs.DefinitionApplied result)
    {
        if (result.EmptiedCohorts.Count > 0)
        {
            context.Terminal.Line($"Live cohorts {(result.DryRun ? "it would empty" : "emptied")}: {Words.List(result.EmptiedCohorts)}");
        }
        if (result.DroppedOverrides.Count > 0)
        {
            context.Terminal.Line($"Overrides that no longer fit the definition, {(result.DryRun ? "to be dropped" : "dropped")}: {Words.List(result.DroppedOverrides)}");
        }
        if (result.DroppedKillSwitches.Count > 0)
        {
            context.Terminal.Line($"Kill switches that no longer fit the definition, {(result.DryRun ? "to be dropped" : "dropped")}: {Words.List(result.DroppedKillSwitches)}");
        }
        if (result.StageReset is { } reset)
        {
            context.Terminal.Line($"The current stage no longer exists; {(result.DryRun ? "it would be" : "now at")} stage {reset}.");
        }
    }
}
