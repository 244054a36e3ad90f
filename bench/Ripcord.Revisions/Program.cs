using System.Text.Json;
using System.Text.Json.Serialization;
using Ripcord.Revisions;

// Revision-storage cost: see Options.Usage and bench/README.md ("Revisions: cost of a write as overrides accumulate").
//
//   dotnet run -c Release --project bench/Ripcord.Revisions -- [--overrides 10000] [--json] [--keep]
//   dotnet run -c Release --project bench/Ripcord.Revisions -- report RUN.json     (the human report of a saved --json run)

var json = new JsonSerializerOptions(JsonSerializerDefaults.Web)
{
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
};
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(Options.Usage);
    return 0;
}
if (args is ["report", var file])
{
    Report.Print(JsonSerializer.Deserialize<RunResult>(File.ReadAllText(file), json)
        ?? throw new InvalidDataException($"{file} holds no run"), Console.Out);
    return 0;
}
Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine();
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

// Ctrl+C stops the writes; the run then reports what it measured and removes its data.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

RunResult result;
try
{
    result = await new Harness(options, Console.Error).RunAsync(interrupt.Token);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
if (options.Json)
{
    Console.Out.WriteLine(JsonSerializer.Serialize(result, json));
}
else
{
    Report.Print(result, Console.Out);
}
return result.Completed ? 0 : 1;
