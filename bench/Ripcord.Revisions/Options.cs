using System.Globalization;

namespace Ripcord.Revisions;

/// <summary>Command-line options. Every bound is explicit: writes, per-request timeout, whole-run time, free disk.</summary>
public sealed record Options
{
    public int Overrides { get; init; } = 10_000;
    public string Program { get; init; } = "groups";
    public string Flag { get; init; } = "F3";
    /// <summary>Database files are sampled after every this many writes (and at the start and the end).</summary>
    public int SizeEvery { get; init; } = 1000;
    public int RequestTimeoutSeconds { get; init; } = 60;
    public int MaxMinutes { get; init; } = 60;
    /// <summary>The run stops (and reports what it has) when the data directory's filesystem has less free space than this.</summary>
    public int MinFreeGb { get; init; } = 5;
    /// <summary>Reads of each chosen revision (first, middle, head) through GET …/revisions/{n}.</summary>
    public int RevisionReads { get; init; } = 3;
    public string? Postgres { get; init; }
    public string? Label { get; init; }
    public bool Json { get; init; }
    public bool Keep { get; init; }

    public const string Usage = """
        Ripcord revisions bench: one server in this process on 127.0.0.1 (kernel-chosen port), SQLite in a
        fresh temp directory (or a fresh schema on a loopback PostgreSQL), N workspace overrides created one
        at a time (one request in flight, one keep-alive connection). Reports write latency as the state
        grows, the database size on disk, and the time of GET …/revisions/{n} for the first, middle and
        head revisions. The temp directory (or schema) is deleted at the end unless --keep.

        usage: dotnet run -c Release --project bench/Ripcord.Revisions -- [options]
               dotnet run -c Release --project bench/Ripcord.Revisions -- report RUN.json

          --overrides N          workspace overrides to create, ws-00001 … (default 10000, 1–100000)
          --flag KEY             flag of every override (default F3)
          --size-every K         sample the database size every K writes (default 1000)
          --request-timeout S    per-request timeout in seconds (default 60)
          --max-minutes M        stop writing after M minutes and report what was measured (default 60)
          --min-free-gb G        stop writing when the data directory's filesystem has under G GB free (default 5)
          --revision-reads R     reads of each of the first, middle and head revision (default 3)
          --postgres "CONN"      PostgreSQL instead of SQLite: a fresh schema is created in that database and
                                 dropped at the end; the host must be loopback or a Unix socket
          --label TEXT           recorded in the result (e.g. before / after)
          --json                 machine-readable summary on stdout (progress stays on stderr)
          --keep                 keep the data directory (or schema) and print where it is
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int(int min, int max)
            {
                var name = args[i];
                var text = Next();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
                    ? v
                    : throw new ArgumentException($"{name} must be a whole number from {min} to {max}, not '{text}'");
            }
            o = args[i] switch
            {
                "--overrides" => o with { Overrides = Int(1, 100_000) },
                "--flag" => o with { Flag = Next() },
                "--size-every" => o with { SizeEvery = Int(1, 100_000) },
                "--request-timeout" => o with { RequestTimeoutSeconds = Int(1, 600) },
                "--max-minutes" => o with { MaxMinutes = Int(1, 600) },
                "--min-free-gb" => o with { MinFreeGb = Int(0, 10_000) },
                "--revision-reads" => o with { RevisionReads = Int(1, 20) },
                "--postgres" => o with { Postgres = Next() },
                "--label" => o with { Label = Next() },
                "--json" => o with { Json = true },
                "--keep" => o with { Keep = true },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        return o;
    }
}
