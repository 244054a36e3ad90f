using System.CommandLine;

namespace Ripcord.Cli;

/// <summary>Options every operator verb takes (recursive, so they go anywhere on the line).</summary>
public sealed class GlobalOptions
{
    public const string DefaultServer = "http://127.0.0.1:7070";

    // No DefaultValueFactory on --server or --token: help prints a factory's value, and for the
    // token that printed the secret on every --help and usage error. Both are read when a verb runs.
    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"Server URL (default: RIPCORD_SERVER, else {DefaultServer})",
        HelpName = "url",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token (default: RIPCORD_TOKEN); never printed",
        HelpName = "token",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the server's JSON instead of a table (for scripts)",
        Recursive = true,
    };

    public Option<string> Program { get; } = new("--program", "-p")
    {
        Description = "Program to operate on",
        Recursive = true,
        DefaultValueFactory = _ => "groups",
    };

    public IEnumerable<Option> All => [Server, Token, Json, Program];

    public string ServerOf(ParseResult parse) =>
        parse.GetValue(Server) is { Length: > 0 } server ? server : Variable("RIPCORD_SERVER") ?? DefaultServer;

    /// <summary>The token a verb sends: --token, else RIPCORD_TOKEN, else none.</summary>
    public string? TokenOf(ParseResult parse) =>
        parse.GetValue(Token) is { Length: > 0 } token ? token : Variable("RIPCORD_TOKEN");

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
