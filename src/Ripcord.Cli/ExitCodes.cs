namespace Ripcord.Cli;

/// <summary>
/// What a script can branch on. Each failure class has its own code, so "retry later" (unreachable,
/// server error), "fix the token" (401/403) and "re-read and retry" (409) are told apart without
/// parsing text. docs/cli.md is the table people read; keep the two in step.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran and its answer is "no" (audit chain broken, definition invalid), or the CLI itself failed.</summary>
    public const int CheckFailed = 1;

    /// <summary>The command line is wrong: unknown verb or option, missing or malformed value. Nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>401: no token, or a token the server does not know (revoked or mistyped).</summary>
    public const int NotAuthenticated = 3;

    /// <summary>403: the token's role may not do this.</summary>
    public const int Forbidden = 4;

    /// <summary>404: no such program, override, token, revision or endpoint.</summary>
    public const int NotFound = 5;

    /// <summary>409: the program moved past the --if-match revision; the error names the current one.</summary>
    public const int Conflict = 6;

    /// <summary>Any other 4xx: the server refused the change (validation, a gate, a policy, a size limit).</summary>
    public const int Refused = 7;

    /// <summary>No answer: connection refused, unknown host, TLS failure, or no response within the timeout.</summary>
    public const int Unreachable = 8;

    /// <summary>5xx, or an answer that is not what the API promises.</summary>
    public const int ServerError = 9;

    /// <summary>Interrupted (Ctrl+C), as shells report a SIGINT.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code for an HTTP error status.</summary>
    public static int ForStatus(int status) => status switch
    {
        401 => NotAuthenticated,
        403 => Forbidden,
        404 => NotFound,
        409 => Conflict,
        >= 400 and < 500 => Refused,
        _ => ServerError,
    };
}

/// <summary>A failure the CLI reports as one line on stderr and an exit code from <see cref="ExitCodes"/>.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
