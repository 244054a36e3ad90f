using System.CommandLine;

namespace Ripcord.Cli;

/// <summary>Options every operator verb takes (recursive, so they go anywhere on the line).</summary>
public sealed class GlobalOptions
{
    public const string DefaultServer = "http://127.0.0.1:7070";

    public Option<string> Server { get; } = new("--server")
    {
        Description = $"Server URL (env RIPCORD_SERVER; default {DefaultServer})",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RIPCORD_SERVER") is { Length: > 0 } s ? s : DefaultServer,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token (env RIPCORD_TOKEN)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RIPCORD_TOKEN"),
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the server's JSON instead of a table (for scripts)",
        Recursive = true,
    };

    public Option<string> Program { get; } = new("--program", "-p")
    {
        Description = "Program to operate on (default groups)",
        Recursive = true,
        DefaultValueFactory = _ => "groups",
    };

    public IEnumerable<Option> All => [Server, Token, Json, Program];

    public string ServerOf(ParseResult parse) => parse.GetValue(Server)!;

    public string? TokenOf(ParseResult parse) => parse.GetValue(Token);
}
