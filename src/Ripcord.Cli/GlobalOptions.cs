using System.CommandLine;

namespace Ripcord.Cli;

/// <summary>Options every operator verb takes (recursive, so they go anywhere on the line).</summary>
public static class GlobalOptions
{
    public const string DefaultServer = "http://127.0.0.1:7070";

    public static readonly Option<string> Server = new("--server")
    {
        Description = $"Server URL (env RIPCORD_SERVER; default {DefaultServer})",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RIPCORD_SERVER") is { Length: > 0 } s ? s : DefaultServer,
    };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "Bearer token (env RIPCORD_TOKEN)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RIPCORD_TOKEN"),
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the server's JSON instead of a table (for scripts)",
        Recursive = true,
    };

    public static readonly Option<string> Program = new("--program", "-p")
    {
        Description = "Program to operate on (default groups)",
        Recursive = true,
        DefaultValueFactory = _ => "groups",
    };

    public static IEnumerable<Option> All => [Server, Token, Json, Program];
}
