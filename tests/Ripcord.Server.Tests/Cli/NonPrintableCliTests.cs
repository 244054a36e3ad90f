using Ripcord.Server.Tests.Infrastructure;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// Issue 8, item 8: whatever the server holds, the real <c>ripcord</c> executable prints nothing a
/// terminal would act on — an ESC, a carriage return, a bidirectional override is printed as an
/// escape (<c>\x1b</c>, <c>\u202e</c>) in tables and in plain lines alike.
/// </summary>
public sealed class NonPrintableCliTests : IAsyncLifetime
{
    // Free text (a reason) may hold control characters; identifiers may not (BadInputTests).
    private const string Hostile = "clear\u001b[2J\u001b]0;title\u0007 back\rover \u202eevil";

    private RipcordTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RipcordTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProcessResult> Ripcord(params string[] args) =>
        RipcordCli.RunAsync([.. args, "--server", _server.Url, "--token", RipcordTestServer.AdminToken]);

    private static void AssertPrintable(string output)
    {
        Assert.DoesNotContain(output, c => c is '\u001b' or '\u0007' or '\r' or '\u202e' or '\0');
        Assert.Contains("\\x1b[2J", output, StringComparison.Ordinal);
        Assert.Contains("\\u202e", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverrideList_EscapesControlCharactersFromTheServer_InTablesAndLines()
    {
        await _server.SetOverrideAsync("F3", "workspace:w-1", true, reason: Hostile);

        var list = await Ripcord("override", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        AssertPrintable(list.StdOut);

        // A refusal that quotes the server's words is escaped too.
        var refused = await Ripcord("override", "set", "--flag", "F3", "--scope", "workspace:a\u001b[2Jb\u202e", "--value", "on", "--reason", "x");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.DoesNotContain(refused.StdErr, c => c is '\u001b' or '\u202e');
    }
}
