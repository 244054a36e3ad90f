using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Ripcord.Server;

namespace Ripcord.Cli.Commands;

/// <summary><c>ripcord serve</c>: the server itself, in this process.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Directory for the SQLite database (default ./ripcord-data)", DefaultValueFactory = _ => "./ripcord-data" };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string; runs on PostgreSQL instead of SQLite (multi-node)" };
        var urls = new Option<string?>("--urls") { Description = $"Address(es) to listen on (default: RIPCORD_URLS, else {GlobalOptions.DefaultServer})" };
        var telemetryRate = new Option<int?>("--telemetry-rate")
        {
            Description = "Telemetry events per second one SDK key may send, sustained (default 5000; a burst of five seconds' worth is allowed). "
                + "Raise it when a large fleet shares one key",
        };
        telemetryRate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 10_000_000)
            {
                r.AddError("--telemetry-rate must be between 1 and 10000000 events per second");
            }
        });
        var telemetryMax = new Option<long?>("--telemetry-max-events")
        {
            Description = "Raw telemetry events kept at most (default 10000000); beyond it the oldest batches go, and posts get 507 until "
                + "the next retention pass. Aggregates are kept by their own retention",
        };
        telemetryMax.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is < 1000 or > 10_000_000_000)
            {
                r.AddError("--telemetry-max-events must be between 1000 and 10000000000");
            }
        });
        var command = new RipcordCommand("serve", """
            Start the Ripcord server: REST API under /api/v1, OpenAPI at /openapi/v1.json, /healthz and /readyz.
            The built-in 'groups' program is installed on first start. The admin token is RIPCORD_ADMIN_TOKEN
            if set; otherwise one is generated on first start, printed once, and stored only as a hash.
            """,
            [
                "ripcord serve",
                "ripcord serve --data /var/lib/ripcord --urls http://0.0.0.0:7070",
                "ripcord serve --postgres \"Host=127.0.0.1;Username=ripcord;Password=…;Database=ripcord\"",
                "ripcord serve --telemetry-rate 50000",
                "ripcord serve --telemetry-rate 200000 --telemetry-max-events 50000000",
            ])
        {
            data, postgres, urls, telemetryRate, telemetryMax,
        };
        command.SetAction(async (parse, ct) =>
        {
            var limits = new Ripcord.Server.Telemetry.TelemetryLimits();
            if (parse.GetValue(telemetryRate) is { } rate)
            {
                limits = limits with { EventsPerSecondPerKey = rate, BurstEventsPerKey = (int)Math.Min(int.MaxValue, 5L * rate) };
            }
            if (parse.GetValue(telemetryMax) is { } max)
            {
                limits = limits with { MaxStoredEvents = max };
            }
            var options = new ServerOptions
            {
                Telemetry = limits,
                DataDirectory = parse.GetValue(data)!,
                PostgresConnectionString = parse.GetValue(postgres),
                Urls = parse.GetValue(urls) is { Length: > 0 } listen ? listen
                    : Environment.GetEnvironmentVariable("RIPCORD_URLS") is { Length: > 0 } variable ? variable
                    : GlobalOptions.DefaultServer,
                AdminToken = Environment.GetEnvironmentVariable("RIPCORD_ADMIN_TOKEN"),
                OnAdminTokenGenerated = token =>
                {
                    Console.WriteLine("An admin token was generated. It is shown now and never again; store it safely:");
                    Console.WriteLine();
                    Console.WriteLine("    " + token);
                    Console.WriteLine();
                },
            };
            try
            {
                await using var app = RipcordServer.Build(options);
                await RipcordServer.InitializeAsync(app, ct);
                await app.StartAsync(ct);
                Console.WriteLine($"Ripcord is serving on {string.Join(", ", app.Urls)} with {(options.PostgresConnectionString is null ? "SQLite in " + Path.GetFullPath(options.DataDirectory) : "PostgreSQL")}.");
                await app.WaitForShutdownAsync(ct);
                return 0;
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or System.Data.Common.DbException)
            {
                Console.Error.WriteLine($"ripcord serve: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
