using System.CommandLine;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord flags</c>: a program's flags as its definition declares them.</summary>
public static class FlagsCommands
{
    public static Command Create(VerbFactory verbs) =>
        verbs.Group("flag", "Flags of a program", ["ripcord flag list"],
            verbs.Verb("list", "List flags with alias, default, safe value and prerequisites",
                ["ripcord flag list", "ripcord flag list --program checkout --json"],
                async (context, ct) =>
                {
                    var flags = await context.Api.ListFlagsAsync(context.Program, ct);
                    if (context.Json)
                    {
                        context.Terminal.Json(flags.Raw);
                        return ExitCodes.Success;
                    }
                    context.Terminal.Table(new TableView("ALIAS", "KEY", "DEFAULT", "SAFE", "PREREQUISITES")
                        .AddRows(flags.Value, f =>
                        [
                            new Cell(f.Alias ?? "", Tone.Strong), f.Key, Cell.OnOff(f.Default), Cell.OnOff(f.Safe), Words.List(f.Prerequisites),
                        ]));
                    return ExitCodes.Success;
                }));
}
