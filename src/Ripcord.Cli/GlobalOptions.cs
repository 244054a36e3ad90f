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

    public Option<string?> Profile { get; } = new("--profile")
    {
        Description = "Named settings to use: a server and a stored token (default: RIPCORD_PROFILE, else the one 'ripcord config use' chose)",
        HelpName = "name",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Server, Token, Json, Program, Profile];

    private Profiles? _profiles;

    /// <summary>The stored settings, read once per command line.</summary>
    public Profiles StoredProfiles => _profiles ??= Profiles.Load();

    /// <summary>Where a setting came from, for `ripcord config show`.</summary>
    public enum Source { Option, Environment, Profile, Default, None }

    /// <summary>
    /// The profile in use: --profile, else RIPCORD_PROFILE, else the current one. One named explicitly must
    /// exist unless <paramref name="mayBeNew"/> (config set, login make it).
    /// </summary>
    public string ProfileOf(ParseResult parse, bool mayBeNew = false)
    {
        var named = parse.GetValue(Profile) is { Length: > 0 } option ? option : Variable("RIPCORD_PROFILE");
        if (named is null)
        {
            return StoredProfiles.Current;
        }
        if (!Profiles.IsName(named))
        {
            throw new CliException("a profile name is 1 to 64 letters, digits, '-' or '_'");
        }
        if (!mayBeNew && named != Profiles.DefaultName && !StoredProfiles.Exists(named))
        {
            throw new CliException($"no profile '{named}' (in {StoredProfiles.ConfigPath}); make it with 'ripcord config set server URL --profile {named}'");
        }
        return named;
    }

    public string ServerOf(ParseResult parse) => ServerWithSource(parse).Server;

    /// <summary>--server, else RIPCORD_SERVER, else the profile's server, else the local default.</summary>
    public (string Server, Source Source) ServerWithSource(ParseResult parse) =>
        parse.GetValue(Server) is { Length: > 0 } server ? (server, Source.Option)
        : Variable("RIPCORD_SERVER") is { } variable ? (variable, Source.Environment)
        : StoredProfiles.Get(ProfileOf(parse))?.Server is { Length: > 0 } stored ? (stored, Source.Profile)
        : (DefaultServer, Source.Default);

    /// <summary>The token a verb sends: --token, else RIPCORD_TOKEN, else the profile's stored token, else none.</summary>
    public string? TokenOf(ParseResult parse) => TokenWithSource(parse).Token;

    public (string? Token, Source Source) TokenWithSource(ParseResult parse) =>
        parse.GetValue(Token) is { Length: > 0 } token ? (token, Source.Option)
        : Variable("RIPCORD_TOKEN") is { } variable ? (variable, Source.Environment)
        : StoredProfiles.TokenOf(ProfileOf(parse)) is { Length: > 0 } stored ? (stored, Source.Profile)
        : (null, Source.None);

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
