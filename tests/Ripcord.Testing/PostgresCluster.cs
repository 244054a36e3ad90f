using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Ripcord.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for the PostgreSQL test collection: initdb + pg_ctl (as the
/// postgres user via runuser when the tests run as root) in a private temp directory, listening
/// on 127.0.0.1 at a free port, stopped with pg_ctl stop at the end. One database per test class,
/// one schema per test. Missing binaries fail the tests with a message saying how to install them.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _databases = new(StringComparer.Ordinal);
    private Exception? _failure;
    private string? _root;
    private string? _bin;
    private bool _started;

    public int Port { get; private set; }

    private bool AsRoot => string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
    }

    /// <summary>Throws, with the reason, when the cluster could not be started.</summary>
    public void RequireRunning()
    {
        if (_failure is not null)
        {
            throw new InvalidOperationException($"The PostgreSQL test cluster is not running: {_failure.Message}", _failure);
        }
    }

    public string ConnectionString(string database, string? searchPath = null) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        SearchPath = searchPath,
        Timeout = 15,
        CommandTimeout = 30,
        MaxPoolSize = 10,
    }.ToString();

    /// <summary>A database of its own for one test class (created on first use).</summary>
    public Task<string> DatabaseForAsync(string testClass)
    {
        RequireRunning();
        return _databases.GetOrAdd(testClass, name => new Lazy<Task<string>>(async () =>
        {
            var db = "rc_" + new string(name.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(40).ToArray());
            await using var c = new NpgsqlConnection(ConnectionString("postgres"));
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{db}\"", c);
            await cmd.ExecuteNonQueryAsync();
            return db;
        })).Value;
    }

    /// <summary>A fresh, empty schema in the test class's database; the connection string searches only it.</summary>
    public async Task<string> FreshSchemaAsync(string testClass)
    {
        var db = await DatabaseForAsync(testClass);
        var schema = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var c = new NpgsqlConnection(ConnectionString(db));
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {schema}", c);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(db, schema);
    }

    private static string? FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("RIPCORD_PG_BIN") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }
        return Directory.GetDirectories(root)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(x => File.Exists(Path.Combine(x.Dir, "initdb")) && File.Exists(Path.Combine(x.Dir, "pg_ctl")))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Dir)
            .FirstOrDefault();
    }

    private async Task StartAsync()
    {
        _bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or $RIPCORD_PG_BIN. "
            + "Install them before running these tests: 'apt-get install -y postgresql' (or scripts/pg-test-cluster.sh ensure).");
        _root = Path.Combine(Path.GetTempPath(), "ripcord-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_root);
        if (AsRoot)
        {
            await MustAsync("chown", ["postgres:postgres", _root]);
        }
        await PgAsync("initdb", "-D", Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");

        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Port = FreePort();
            var settings = $"-c listen_addresses=127.0.0.1 -c port={Port} -c unix_socket_directories={_root} "
                + "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
            try
            {
                await PgAsync("pg_ctl", "-D", Data, "-l", Path.Combine(_root, "postgres.log"), "-w", "-t", "60", "-o", settings, "start");
                _started = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => StopQuietly();
                return;
            }
            catch (InvalidOperationException ex)
            {
                last = ex; // most likely the port was taken between choosing and binding it
            }
        }
        throw new InvalidOperationException("pg_ctl start failed three times: " + last?.Message
            + Environment.NewLine + ReadLog(), last);
    }

    private string Data => Path.Combine(_root!, "data");

    private string ReadLog()
    {
        var log = Path.Combine(_root!, "postgres.log");
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<ProcessResult> PgAsync(string tool, params string[] args)
    {
        var exe = Path.Combine(_bin!, tool);
        return AsRoot
            ? MustAsync("runuser", ["-u", "postgres", "--", exe, .. args])
            : MustAsync(exe, args);
    }

    private static async Task<ProcessResult> MustAsync(string file, string[] args)
    {
        var result = await ProcessRunner.RunAsync(file, args, CommandTimeout);
        return result.ExitCode == 0
            ? result
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {result}");
    }

    public async Task DisposeAsync()
    {
        if (_root is null)
        {
            return;
        }
        if (_started)
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await PgAsync("pg_ctl", "-D", Data, "-m", "fast", "-w", "-t", "30", "stop");
                _started = false;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                StopQuietly();
            }
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Last resort: ask the postmaster we started (by the PID it wrote) for a fast shutdown.</summary>
    private void StopQuietly()
    {
        if (!_started || _root is null)
        {
            return;
        }
        _started = false;
        try
        {
            var pidFile = Path.Combine(Data, "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid))
            {
                using var kill = Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                kill?.WaitForExit(2000);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }
}
