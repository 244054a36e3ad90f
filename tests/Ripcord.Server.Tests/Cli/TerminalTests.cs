using Ripcord.Cli;
using Ripcord.Cli.Rendering;
using Spectre.Console;

namespace Ripcord.Server.Tests.Cli;

/// <summary>
/// The CLI's rendering layer: rich at a terminal, and when redirected, output a script can parse —
/// no ANSI escapes, no wrapping, no trailing blanks, no prompts, no spinners.
/// </summary>
public sealed class TerminalTests
{
    private const char Escape = '\u001b';

    private static (Terminal Terminal, StringWriter Out, StringWriter Err) Plain()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        return (Terminal.Plain(output, error), output, error);
    }

    private static string[] LinesOf(StringWriter writer) => writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void PlainTable_IsAlignedColumns_WithoutEscapes_TrailingBlanks_OrWrapping()
    {
        var (terminal, output, _) = Plain();
        var wide = string.Join(',', Enumerable.Range(0, 2_000).Select(i => $"w-{i}"));
        terminal.Table(new TableView("COHORT", "KIND", "MEMBERSHIP")
            .Row("pilot", "list", wide)
            .Row("all", new Cell("everyone", Tone.Good), Cell.OnOff(true)));

        var text = output.ToString();
        Assert.DoesNotContain(Escape, text);
        var lines = LinesOf(output);
        Assert.Equal(3, lines.Length);
        Assert.Equal("COHORT  KIND      MEMBERSHIP", lines[0]);
        Assert.Equal("pilot   list      " + wide, lines[1]);
        Assert.Equal("all     everyone  on", lines[2]);
    }

    [Fact]
    public void PlainTable_PrintsMarkupLikeServerTextAsIs()
    {
        var (terminal, output, _) = Plain();
        terminal.Table(new TableView("REASON").Row("[red]not markup[/] [x]"));
        Assert.Equal("[red]not markup[/] [x]", LinesOf(output)[1]);
    }

    [Fact]
    public void EmptyPlainTable_SaysNone()
    {
        var (terminal, output, _) = Plain();
        terminal.Table(new TableView("ID", "NAME"));
        Assert.Equal(["ID  NAME", "(none)"], LinesOf(output));
    }

    [Fact]
    public void RichTable_IsDrawnWithColourAndBorders()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var terminal = Terminal.Rich(output, error, width: 120, canPrompt: false);
        terminal.Table(new TableView("FLAG", "VALUE").Row("F1", Cell.OnOff(true)));
        Assert.Contains(Escape, output.ToString());
        Assert.Contains('╭', output.ToString());
    }

    [Fact]
    public void PlainTree_UsesAsciiGuides()
    {
        var (terminal, output, _) = Plain();
        var tree = terminal.Tree("incident INC-1");
        tree.AddNode(terminal.Text("09:00 declared")).AddNode(terminal.Text("KS3 at cohort:pilot", Tone.Bad));
        tree.AddNode(terminal.Text("09:04 verified [12/12]"));
        terminal.Write(tree);

        var text = output.ToString();
        Assert.DoesNotContain(Escape, text);
        Assert.True(text.All(c => c < 128), text);
        Assert.Contains("09:04 verified [12/12]", text, StringComparison.Ordinal);
        Assert.All(LinesOf(output), line => Assert.Equal(line.TrimEnd(), line));
    }

    [Fact]
    public void JsonIsReindentedAsItCame_NotRebuilt()
    {
        var (terminal, output, _) = Plain();
        terminal.Json("""{"b":1.50,"a":[true,null],"c":"<é>"}""");
        Assert.Equal("""
            {
              "b": 1.50,
              "a": [
                true,
                null
              ],
              "c": "\u003C\u00E9\u003E"
            }

            """.ReplaceLineEndings(Environment.NewLine), output.ToString());
    }

    [Fact]
    public void ConfirmWithoutATerminal_RefusesAndNamesYes_UnlessYesWasGiven()
    {
        var (terminal, output, error) = Plain();
        var refused = Assert.Throws<CliException>(() => terminal.Confirm("Drop 3 overrides?", assumeYes: false));
        Assert.Contains("--yes", refused.Message, StringComparison.Ordinal);
        Assert.True(terminal.Confirm("Drop 3 overrides?", assumeYes: true));
        Assert.Equal("", output.ToString() + error.ToString());
    }

    [Fact]
    public async Task StatusAndProgress_WhenRedirected_RunTheWork_AndPrintNothing()
    {
        var (terminal, output, error) = Plain();
        var status = await terminal.StatusAsync("verifying", async update =>
        {
            update("3 of 12 instances");
            await Task.Yield();
            return 42;
        });
        var progress = await terminal.ProgressAsync("verifying", 12, async report =>
        {
            report.Report(6);
            await Task.Yield();
            return "done";
        });
        Assert.Equal((42, "done"), (status, progress));
        Assert.Equal("", output.ToString() + error.ToString());
    }
}
