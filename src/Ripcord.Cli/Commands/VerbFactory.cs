using System.CommandLine;
using System.CommandLine.Parsing;
using Ripcord.Cli.Api;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli.Commands;

/// <summary>A command with the examples its <c>--help</c> ends with.</summary>
public sealed class RipcordCommand(string name, string description, IReadOnlyList<string> examples) : Command(name, description)
{
    public IReadOnlyList<string> Examples { get; } = examples;
}

/// <summary>What a verb's handler works with: its parsed line, the API client and the terminal.</summary>
public sealed class VerbContext(ParseResult parse, GlobalOptions options, Terminal terminal) : IDisposable
{
    private RipcordApiClient? _api;

    public ParseResult Parse { get; } = parse;
    public Terminal Terminal { get; } = terminal;
    public string Program => Parse.GetValue(options.Program)!;
    public bool Json => Parse.GetValue(options.Json);

    /// <summary>The token this verb sends, if any: only to be sent, or to be kept out of what is printed.</summary>
    public string? Token
    {
        get
        {
            try
            {
                return options.TokenOf(Parse);
            }
            catch (CliException)
            {
                return null; // an unreadable settings file or unknown profile: then no stored token was in play
            }
        }
    }

    public GlobalOptions Options => options;

    /// <summary>The words the user typed to reach this verb ("override set"), for error lines.</summary>
    public string CommandPath => PathOf(Parse);

    /// <summary>Made on first use, so a verb that works offline (definition validate) never needs a server.</summary>
    public RipcordApiClient Api => _api ??= Connect();

    public T Get<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    public static string PathOf(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is CommandResult parent; result = parent)
        {
            names.Add(result.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    private RipcordApiClient Connect()
    {
        var server = options.ServerOf(Parse);
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--server must be an http(s) URL, not '{server}'");
        }
        try
        {
            return new RipcordApiClient(uri, options.TokenOf(Parse));
        }
        catch (ArgumentException)
        {
            // The URL was checked above, so it is the token; never quote it.
            throw new CliException("the token (--token or RIPCORD_TOKEN) contains blanks, line breaks or other characters a bearer token cannot have");
        }
    }

    public void Dispose() => _api?.Dispose();
}

public delegate Task<int> VerbHandler(VerbContext context, CancellationToken ct);

/// <summary>Builds verbs and groups that share the global options, the terminal and one way of failing.</summary>
public sealed class VerbFactory(GlobalOptions options, Terminal terminal)
{
    public GlobalOptions Options { get; } = options;
    public Terminal Terminal { get; } = terminal;

    public RipcordCommand Group(string name, string description, IReadOnlyList<string> examples, params Command[] verbs)
    {
        var group = new RipcordCommand(name, description, examples);
        foreach (var verb in verbs)
        {
            group.Subcommands.Add(verb);
        }
        return group;
    }

    public RipcordCommand Verb(string name, string description, IReadOnlyList<string> examples, VerbHandler handler, params Symbol[] symbols)
    {
        var command = new RipcordCommand(name, description, examples);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option o:
                    command.Options.Add(o);
                    break;
                case Argument a:
                    command.Arguments.Add(a);
                    break;
            }
        }
        command.SetAction(async (parse, ct) =>
        {
            using var context = new VerbContext(parse, Options, Terminal);
            try
            {
                return await handler(context, ct);
            }
            catch (Exception ex) when (Failures.IsReportable(ex, ct))
            {
                return Failures.Report(context, ex);
            }
        });
        return command;
    }
}
