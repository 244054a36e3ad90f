using System.CommandLine;
using System.Text.Json;
using Ripcord.Cli.Api;
using Ripcord.Cli.Rendering;
using Spectre.Console;

namespace Ripcord.Cli.Commands;

/// <summary>
/// <c>ripcord config</c>, <c>ripcord login</c>, <c>ripcord logout</c>: named profiles, so an operator with a
/// staging and a production server types neither URLs nor tokens (see <see cref="Profiles"/>). Tokens are
/// kept in a file only the user can read, and never printed.
/// </summary>
public static class ConfigCommands
{
    public static Command[] Create(VerbFactory verbs)
    {
        var key = new Argument<string>("key") { Description = "The setting: server" };
        var value = new Argument<string>("value") { Description = "Its value (for server: the URL, e.g. https://ripcord.internal:7070)" };
        var profileName = new Argument<string>("profile") { Description = "The profile to use from now on" };
        key.AcceptOnlyFromAmong("server");

        var config = verbs.Group("config", "The CLI's own settings: named profiles, each with a server and (after 'ripcord login') a token",
            ["ripcord config set server https://ripcord.internal:7070 --profile prod", "ripcord config use prod", "ripcord config show"],
            verbs.Verb("set", "Set a profile's server (the profile is made if new)",
                ["ripcord config set server http://127.0.0.1:7070", "ripcord config set server https://ripcord.internal:7070 --profile prod"],
                (context, _) =>
                {
                    var server = context.Get(value);
                    if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    {
                        throw new CliException($"server must be an http(s) URL such as http://127.0.0.1:7070");
                    }
                    var profiles = context.Options.StoredProfiles;
                    var name = context.Options.ProfileOf(context.Parse, mayBeNew: true);
                    profiles.SetServer(name, uri.ToString().TrimEnd('/'));
                    context.Terminal.Line($"Profile '{name}': server {uri.ToString().TrimEnd('/')} (in {profiles.ConfigPath}).");
                    return Task.FromResult(ExitCodes.Success);
                }, key, value),
            verbs.Verb("get", "Print the setting in effect and where it comes from (option, environment, profile or default)",
                ["ripcord config get server", "ripcord config get server --profile prod"],
                (context, _) =>
                {
                    var (server, source) = context.Options.ServerWithSource(context.Parse);
                    context.Terminal.Line(context.Json ? JsonSerializer.Serialize(new { server, source = SourceName(source) }) : server);
                    return Task.FromResult(ExitCodes.Success);
                }, key),
            verbs.Verb("show", "List the profiles, and the server and token a command would use now (never the token itself)",
                ["ripcord config show", "ripcord config show --json"],
                (context, _) =>
                {
                    var options = context.Options;
                    var profiles = options.StoredProfiles;
                    var inUse = options.ProfileOf(context.Parse);
                    var (server, serverSource) = options.ServerWithSource(context.Parse);
                    var tokenSource = options.TokenWithSource(context.Parse).Source;
                    var names = profiles.All.Keys.Append(Profiles.DefaultName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                    if (context.Json)
                    {
                        context.Terminal.Json(JsonSerializer.Serialize(new
                        {
                            directory = profiles.Directory,
                            profile = inUse,
                            server,
                            serverSource = SourceName(serverSource),
                            tokenSource = SourceName(tokenSource),
                            profiles = names.Select(n => new { name = n, server = profiles.Get(n)?.Server, tokenStored = profiles.TokenOf(n) is not null, current = n == profiles.Current }),
                        }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
                        return Task.FromResult(ExitCodes.Success);
                    }
                    context.Terminal.Line($"Profile {inUse}: server {server} ({SourceName(serverSource)}), token {(tokenSource == GlobalOptions.Source.None ? "none" : $"from {SourceName(tokenSource)}")}.");
                    context.Terminal.Table(new TableView("PROFILE", "SERVER", "TOKEN", "CURRENT")
                        .AddRows(names, n =>
                        [
                            n, profiles.Get(n)?.Server ?? "", profiles.TokenOf(n) is null ? "" : "stored", Words.YesNo(n == profiles.Current),
                        ]));
                    context.Terminal.Note($"Settings in {profiles.Directory}; --server/--token, then RIPCORD_SERVER/RIPCORD_TOKEN, win over them.");
                    return Task.FromResult(ExitCodes.Success);
                }),
            verbs.Verb("use", "Make a profile the one commands use when neither --profile nor RIPCORD_PROFILE names one",
                ["ripcord config use prod", "ripcord config use default"],
                (context, _) =>
                {
                    var name = context.Get(profileName);
                    var profiles = context.Options.StoredProfiles;
                    if (!Profiles.IsName(name))
                    {
                        throw new CliException("a profile name is 1 to 64 letters, digits, '-' or '_'");
                    }
                    if (name != Profiles.DefaultName && !profiles.Exists(name))
                    {
                        throw new CliException($"no profile '{name}'; make it with 'ripcord config set server URL --profile {name}'", ExitCodes.NotFound);
                    }
                    profiles.Use(name);
                    context.Terminal.Line($"Commands now use profile '{name}'.");
                    return Task.FromResult(ExitCodes.Success);
                }, profileName));

        var login = verbs.Verb("login",
            "Check a token with the server and store it for the profile, readable only by you (0600). The token is read from standard input, or asked for without echo; never from the line's history",
            ["ripcord login", "ripcord login --profile prod", "pass show ripcord/prod | ripcord login --profile prod"],
            async (context, ct) =>
            {
                var options = context.Options;
                var name = options.ProfileOf(context.Parse, mayBeNew: true);
                var server = options.ServerOf(context.Parse);
                if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    throw new CliException($"--server must be an http(s) URL, not '{server}'");
                }
                var token = ReadToken(context);
                using (var api = Connect(uri, token))
                {
                    // 2xx, or 403/404 (a key that may not list programs), means the server knows the token; 401, 429 (too many
                    // failed attempts from here) or any other answer leaves it unproven, and it is not stored.
                    try
                    {
                        await api.ListProgramsAsync(ct);
                    }
                    catch (RipcordApiException refused) when (refused.Status is 403 or 404)
                    {
                        // Known to the server, only not allowed this page: the token is good.
                    }
                }
                var profiles = options.StoredProfiles;
                profiles.SetToken(name, token);
                if (profiles.Get(name)?.Server is null && context.Parse.GetValue(options.Server) is { Length: > 0 })
                {
                    profiles.SetServer(name, uri.ToString().TrimEnd('/'));
                }
                context.Terminal.Line($"Logged in: the token works on {uri.ToString().TrimEnd('/')}; stored for profile '{name}' in {profiles.CredentialsPath} (readable only by you).");
                if (Environment.GetEnvironmentVariable("RIPCORD_TOKEN") is { Length: > 0 })
                {
                    context.Terminal.Note("RIPCORD_TOKEN is set, and wins over the stored token until you unset it.");
                }
                return ExitCodes.Success;
            });

        var logout = verbs.Verb("logout", "Forget the profile's stored token",
            ["ripcord logout", "ripcord logout --profile prod"],
            (context, _) =>
            {
                var name = context.Options.ProfileOf(context.Parse);
                var removed = context.Options.StoredProfiles.RemoveToken(name);
                context.Terminal.Line(removed ? $"Logged out: the token of profile '{name}' is deleted." : $"Profile '{name}' had no stored token.");
                return Task.FromResult(ExitCodes.Success);
            });

        return [config, login, logout];
    }

    private static string SourceName(GlobalOptions.Source source) => source switch
    {
        GlobalOptions.Source.Option => "option",
        GlobalOptions.Source.Environment => "environment",
        GlobalOptions.Source.Profile => "profile",
        GlobalOptions.Source.Default => "default",
        _ => "none",
    };

    /// <summary>--token if given, else a line of standard input when it is redirected, else a prompt that does not echo.</summary>
    private static string ReadToken(VerbContext context)
    {
        string? token = context.Parse.GetValue(context.Options.Token);
        if (string.IsNullOrEmpty(token))
        {
            if (Console.IsInputRedirected)
            {
                token = Console.In.ReadLine();
            }
            else if (context.Terminal.CanPrompt)
            {
                token = context.Terminal.Console.Prompt(new TextPrompt<string>("Token:").Secret());
            }
            else
            {
                throw new CliException("no token: pipe it on standard input (… | ripcord login) or run at a terminal to be asked");
            }
        }
        token = token?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            throw new CliException("no token was given");
        }
        return token;
    }

    private static RipcordApiClient Connect(Uri server, string token)
    {
        try
        {
            return new RipcordApiClient(server, token);
        }
        catch (ArgumentException)
        {
            throw new CliException("the token contains blanks, line breaks or other characters a bearer token cannot have");
        }
    }
}
