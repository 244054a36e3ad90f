using Ripcord.Cli.Api;

namespace Ripcord.Cli.Commands;

/// <summary>How a verb fails: one line on stderr, "ripcord &lt;verb&gt;: what happened", and a non-zero exit.</summary>
public static class Failures
{
    public static bool IsReportable(Exception ex, CancellationToken ct) =>
        ex is RipcordApiException or RipcordUnreachableException or CliException
        || (ex is OperationCanceledException && ct.IsCancellationRequested);

    public static int Report(VerbContext context, Exception ex)
    {
        var (message, exitCode) = ex switch
        {
            RipcordApiException api => (Describe(api), ExitCodes.CheckFailed),
            RipcordUnreachableException unreachable => ($"{unreachable.Message} (is 'ripcord serve' running? set --server)", ExitCodes.CheckFailed),
            CliException cli => (cli.Message, cli.ExitCode),
            _ => ("interrupted", ExitCodes.Interrupted),
        };
        context.Terminal.Error.WriteLine(Redact($"ripcord {context.CommandPath}: {message}", context.Token));
        return exitCode;
    }

    /// <summary>
    /// Belt and braces: no message the CLI prints may carry the token, whatever put it there (a
    /// server echoing a header, a mistyped argument). Very short strings are not secrets worth
    /// garbling every message for.
    /// </summary>
    public static string Redact(string text, string? token) =>
        token is { Length: >= 8 } ? text.Replace(token, "[token]", StringComparison.Ordinal) : text;

    private static string Describe(RipcordApiException ex)
    {
        // A field error repeats the detail; a definition's errors are each a line of the file worth showing.
        if (!ex.Errors.Any(e => e.Line is not null))
        {
            return ex.Message;
        }
        var lines = string.Concat(ex.Errors.Select(e => Environment.NewLine + "  " + e));
        return $"{ex.Status} {ex.Title}: the server refused it{lines}";
    }
}
