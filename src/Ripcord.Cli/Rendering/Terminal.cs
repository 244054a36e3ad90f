using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ripcord.Cli.Rendering;

/// <summary>
/// Where the CLI's output goes and how rich it may be. At a terminal: Spectre.Console with colour,
/// borders, prompts and live progress. Redirected (a pipe, a file, a test): no ANSI escapes, no
/// wrapping, no trailing blanks, no prompts and no spinners — output a script can parse. Every verb
/// writes through one of these, so the coming timelines, checklists and runbook walks get both
/// behaviours for free.
/// </summary>
public sealed class Terminal
{
    /// <summary>
    /// Redirected output has no window to measure; Spectre would assume 80 columns and wrap a long
    /// cohort or reason onto the next line. Far wider than any row, and still safe for its arithmetic.
    /// </summary>
    internal const int UnboundedWidth = int.MaxValue / 4;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private Terminal(IAnsiConsole console, TextWriter output, TextWriter error, bool isRich, bool canPrompt)
    {
        Console = console;
        Output = output;
        Error = error;
        IsRich = isRich;
        CanPrompt = canPrompt;
    }

    /// <summary>The Spectre console, for widgets this class does not wrap (escape any text from the server).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Standard output as is: for JSON and YAML that must reach scripts byte for byte.</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error: failures, and notes that must not mix into parseable output.</summary>
    public TextWriter Error { get; }

    /// <summary>Standard output is a terminal: colour, borders and live progress are welcome.</summary>
    public bool IsRich { get; }

    /// <summary>A person can answer a question: both standard input and output are a terminal.</summary>
    public bool CanPrompt { get; }

    /// <summary>The process's own console, rich only when standard output is a terminal.</summary>
    public static Terminal ForConsole()
    {
        var rich = !System.Console.IsOutputRedirected
            && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);
        return rich
            ? Rich(System.Console.Out, System.Console.Error, width: null, canPrompt: !System.Console.IsInputRedirected)
            : Plain(System.Console.Out, System.Console.Error);
    }

    /// <summary>Output for scripts: plain text, never wrapped, never styled, never interactive.</summary>
    public static Terminal Plain(TextWriter output, TextWriter error)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(new TrailingBlankTrimmer(output)),
            // Enrichers recognise CI systems and change the profile; redirected output must not vary by where it runs.
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
        });
        console.Profile.Width = UnboundedWidth;
        console.Profile.Capabilities.Ansi = false;
        console.Profile.Capabilities.Links = false;
        console.Profile.Capabilities.Interactive = false;
        return new Terminal(console, output, error, isRich: false, canPrompt: false);
    }

    /// <summary>A terminal; <paramref name="width"/> fixes the width (tests), otherwise the window's.</summary>
    internal static Terminal Rich(TextWriter output, TextWriter error, int? width, bool canPrompt)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = canPrompt ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (width is int fixedWidth)
        {
            console.Profile.Width = fixedWidth;
            console.Profile.Capabilities.Ansi = true;
            console.Profile.Capabilities.ColorSystem = ColorSystem.Standard;
        }
        return new Terminal(console, output, error, isRich: true, canPrompt);
    }

    /// <summary>A line of text (never read as markup; anything that would not print is escaped, see <see cref="Printable"/>).</summary>
    public void Line(string text = "") => Output.WriteLine(Printable.Escape(text, keepNewlines: true));

    /// <summary>A note for the person at the keyboard: on stderr, so it never mixes into parseable output.</summary>
    public void Note(string text) => Error.WriteLine(Printable.Escape(text, keepNewlines: true));

    public void Write(IRenderable renderable) => Console.Write(renderable);

    /// <summary>
    /// The server's JSON as the CLI has always printed it: parsed and re-indented as it came
    /// (members, order and numbers untouched), never rebuilt from typed values.
    /// </summary>
    public void Json(string rawJson) =>
        Output.WriteLine(rawJson.Length == 0 ? "null" : JsonNode.Parse(rawJson)?.ToJsonString(Indented) ?? "null");

    public void Table(TableView view)
    {
        var table = new Table();
        if (IsRich)
        {
            table.Border(TableBorder.Rounded).BorderStyle(new Style(Color.Grey));
        }
        else
        {
            table.Border(TableBorder.None);
        }
        for (var i = 0; i < view.Headers.Count; i++)
        {
            var column = new TableColumn(new Text(view.Headers[i], IsRich ? new Style(decoration: Decoration.Bold) : Style.Plain));
            // Plain columns are separated by two blanks and nothing else, as `column -t` would print them.
            table.AddColumn(IsRich ? column : column.Padding(0, 0, i == view.Headers.Count - 1 ? 0 : 2, 0));
        }
        foreach (var row in view.Rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(Printable.Escape(cell.Text), StyleOf(cell.Tone))));
        }
        Console.Write(table);
        if (view.Rows.Count == 0)
        {
            Line("(none)");
        }
    }

    /// <summary>A tree to fill and then <see cref="Write"/>: line guides at a terminal, ASCII ones when redirected.</summary>
    public Tree Tree(string label) =>
        new(new Text(Printable.Escape(label), IsRich ? new Style(decoration: Decoration.Bold) : Style.Plain)) { Guide = IsRich ? TreeGuide.Line : TreeGuide.Ascii };

    /// <summary>A node label for <see cref="Tree"/>: text with a tone, never markup.</summary>
    public IRenderable Text(string text, Tone tone = Tone.Normal) => new Text(Printable.Escape(text, keepNewlines: true), StyleOf(tone));

    /// <summary>
    /// Asks a yes/no question, default no. Without a terminal to ask at, only <paramref name="assumeYes"/>
    /// (the verb's <c>--yes</c>) can answer: a script is never left waiting on a prompt nobody sees.
    /// </summary>
    public bool Confirm(string question, bool assumeYes)
    {
        if (assumeYes)
        {
            return true;
        }
        if (!CanPrompt)
        {
            throw new CliException($"{question} Confirmation is needed and there is no terminal to ask at: pass --yes to confirm.");
        }
        return Console.Prompt(new ConfirmationPrompt(Markup.Escape(question)) { DefaultValue = false });
    }

    /// <summary>
    /// Runs <paramref name="work"/> under a live status line it can update. Redirected output shows
    /// nothing: the caller prints the result, and scripts see only that.
    /// </summary>
    public async Task<T> StatusAsync<T>(string status, Func<Action<string>, Task<T>> work)
    {
        if (!IsRich)
        {
            return await work(_ => { });
        }
        return await Console.Status().StartAsync(Markup.Escape(status), context => work(text => context.Status(Markup.Escape(text))));
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a live progress bar out of <paramref name="total"/> that it
    /// advances by reporting the amount done (verification waits, runbook walks). Silent when redirected.
    /// </summary>
    public async Task<T> ProgressAsync<T>(string description, double total, Func<IProgress<double>, Task<T>> work)
    {
        if (!IsRich)
        {
            return await work(NoProgress.Instance);
        }
        return await Console.Progress().AutoClear(false).StartAsync(async context =>
        {
            var task = context.AddTask(Markup.Escape(description), maxValue: total);
            var result = await work(new ProgressTarget(task));
            task.Value = task.MaxValue;
            return result;
        });
    }

    private Style StyleOf(Tone tone) => !IsRich ? Style.Plain : tone switch
    {
        Tone.Dim => new Style(Color.Grey),
        Tone.Good => new Style(Color.Green),
        Tone.Bad => new Style(Color.Red, decoration: Decoration.Bold),
        Tone.Warning => new Style(Color.Yellow),
        Tone.Strong => new Style(decoration: Decoration.Bold),
        _ => Style.Plain,
    };

    private sealed class NoProgress : IProgress<double>
    {
        public static readonly NoProgress Instance = new();

        public void Report(double value)
        {
        }
    }

    // Synchronous, unlike Progress<T>: a report made just before the work ends is drawn, not lost.
    private sealed class ProgressTarget(ProgressTask task) : IProgress<double>
    {
        public void Report(double value) => task.Value = value;
    }
}
