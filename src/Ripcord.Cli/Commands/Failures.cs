using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ripcord.Cli.Api;
using Ripcord.Cli.Rendering;

namespace Ripcord.Cli.Commands;

/// <summary>
/// How the CLI fails: an exit code from <see cref="ExitCodes"/> and, on stderr, one line
/// "ripcord &lt;verb&gt;: what happened" — or with <c>--json</c>, the problem details (the server's as it
/// sent them; for a failure on this side, a problem in the same shape).
/// </summary>
public static partial class Failures
{
    public static bool IsReportable(Exception ex, CancellationToken ct) =>
        ex is RipcordApiException or RipcordUnreachableException or CliException or IOException or UnauthorizedAccessException
        || (ex is OperationCanceledException && ct.IsCancellationRequested);

    /// <summary>A verb that failed while running.</summary>
    public static int Report(VerbContext context, Exception ex)
    {
        var (exitCode, line, json) = ex switch
        {
            RipcordApiException api => (ExitCodes.ForStatus(api.Status), Describe(api, context), api.ProblemJson ?? Problem(api.Title, api.Detail, api.Status)),
            RipcordUnreachableException unreachable => (ExitCodes.Unreachable,
                $"{unreachable.Message} (is 'ripcord serve' running there? set --server or RIPCORD_SERVER)",
                Problem("Server unreachable", unreachable.Message, null)),
            CliException cli => (cli.ExitCode, cli.Message, Problem(TitleOf(cli.ExitCode), cli.Message, null)),
            // A file named on the line that cannot be read or written (a missing directory, no permission).
            IOException or UnauthorizedAccessException => (ExitCodes.Usage, ex.Message, Problem(TitleOf(ExitCodes.Usage), ex.Message, null)),
            _ => (ExitCodes.Interrupted, "interrupted", Problem("Interrupted", "interrupted before the answer arrived", null)),
        };
        Write(context.Terminal, context.CommandPath, context.Json, context.Token, [line], json);
        return exitCode;
    }

    /// <summary>A command line that did not parse: nothing was sent. One line per error, then where help is.</summary>
    public static int ReportUsage(ParseResult parse, GlobalOptions options, Terminal terminal)
    {
        var path = VerbContext.PathOf(parse);
        var messages = UsageMessages(parse);
        var help = $"See 'ripcord{(path.Length == 0 ? "" : " " + path)} --help'.";
        var lines = messages.Select((m, i) => i == messages.Count - 1 ? $"{m} {help}" : m).ToList();
        var json = Problem("Usage error", string.Join(' ', messages), null, new JsonArray([.. messages.Select(m => (JsonNode?)m)]));
        Write(terminal, path, IsSet(parse, options.Json), TokenOf(parse, options), lines, json);
        return ExitCodes.Usage;
    }

    private static List<string> UsageMessages(ParseResult parse)
    {
        var messages = parse.Errors.Select(e => Plain(e.Message)).Distinct(StringComparer.Ordinal).ToList();
        // "Required command was not provided" only repeats what a mistyped verb already says.
        if (messages.Count > 1)
        {
            messages.RemoveAll(m => m.StartsWith("Required command", StringComparison.Ordinal));
        }
        var verbs = parse.CommandResult.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        if (parse.UnmatchedTokens.FirstOrDefault() is { } typed && Core.Definitions.NameMatch.Closest(typed, verbs) is { } meant)
        {
            messages.Add($"Did you mean '{meant}'?");
        }
        return messages;
    }

    // "… as expected type 'System.Nullable`1[System.Int32]'" → "… (expected a whole number)".
    private static string Plain(string message) =>
        ExpectedType().Replace(message, m =>
            m.Groups[1].Value.Contains("Int", StringComparison.Ordinal) ? " (expected a whole number)"
            : m.Groups[1].Value.Contains("Decimal", StringComparison.Ordinal) || m.Groups[1].Value.Contains("Double", StringComparison.Ordinal) ? " (expected a number)"
            : "");

    [GeneratedRegex(" as expected type '([^']*)'")]
    private static partial Regex ExpectedType();

    /// <summary>
    /// Belt and braces: no message the CLI prints may carry the token, whatever put it there (a
    /// server echoing a header, a mistyped argument). Very short strings are not secrets worth
    /// garbling every message for.
    /// </summary>
    public static string Redact(string text, string? token) =>
        token is { Length: >= 8 } ? text.Replace(token, "[token]", StringComparison.Ordinal) : text;

    private static void Write(Terminal terminal, string path, bool json, string? token, IReadOnlyList<string> lines, string problemJson)
    {
        if (json)
        {
            terminal.Error.WriteLine(Redact(problemJson, token));
            return;
        }
        var prefix = path.Length == 0 ? "ripcord: " : $"ripcord {path}: ";
        foreach (var line in lines)
        {
            terminal.Error.WriteLine(Redact(Printable.Escape(prefix + line), token));
        }
    }

    private static string Describe(RipcordApiException ex, VerbContext context)
    {
        var message = ex.Status switch
        {
            // The server's 401 says which it is: no token sent, or one it does not (or no longer) know.
            409 when ex.CurrentRevision is { } current =>
                $"{ex.Message} (current revision: {Words.Number(current)}; look at what changed, then retry with --if-match {Words.Number(current)})",
            _ => ex.Message,
        };
        // A field error repeats the detail; a definition's errors are each a line of the file worth showing.
        if (!ex.Errors.Any(e => e.Line is not null))
        {
            return message;
        }
        return $"{ex.Status} {ex.Title}: the server refused it" + string.Concat(ex.Errors.Select(e => Environment.NewLine + "  " + e));
    }

    private static string TitleOf(int exitCode) => exitCode switch
    {
        ExitCodes.Usage => "Usage error",
        ExitCodes.Refused => "Refused",
        _ => "Failed",
    };

    // The same members as a server problem (RFC 9457), so a script reads both alike.
    private static string Problem(string title, string? detail, int? status, JsonArray? errors = null)
    {
        var problem = new JsonObject { ["title"] = title };
        if (status is not null)
        {
            problem["status"] = status;
        }
        if (detail is not null)
        {
            problem["detail"] = detail;
        }
        if (errors is not null)
        {
            problem["errors"] = errors;
        }
        return problem.ToJsonString(JsonSerializerOptions.Web);
    }

    private static bool IsSet(ParseResult parse, Option<bool> option)
    {
        try
        {
            return parse.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // A line that did not parse may still hold --token: read it without trusting the parse.
    private static string? TokenOf(ParseResult parse, GlobalOptions options) =>
        parse.GetResult(options.Token)?.Tokens.FirstOrDefault()?.Value is { Length: > 0 } token
            ? token
            : Environment.GetEnvironmentVariable("RIPCORD_TOKEN");
}
