using System.Net;
using Microsoft.Data.Sqlite;
using Npgsql;
using Ripcord.Server;

namespace Ripcord.Revisions;

/// <summary>One stored object and its size: a file in the data directory, or a table (with its indexes and TOAST) in the schema.</summary>
public sealed record StoredSize(string Name, long Bytes);

/// <summary>Where the server under test keeps its data, made fresh for one run, measured, and removed after it.</summary>
public interface IBenchDatabase : IAsyncDisposable
{
    string Kind { get; }
    string Location { get; }
    ServerOptions Configure(ServerOptions options);
    Task<IReadOnlyList<StoredSize>> SizesAsync(CancellationToken ct);
    /// <summary>Free bytes on the filesystem that holds the data (null when it is not local to this process).</summary>
    long? FreeBytes();
}

/// <summary>SQLite (the default): ripcord.db, -wal and -shm in a fresh temp directory.</summary>
public sealed class SqliteBenchDatabase : IBenchDatabase
{
    private readonly bool _keep;

    public SqliteBenchDatabase(bool keep)
    {
        _keep = keep;
        Location = Path.Combine(Path.GetTempPath(), "ripcord-revisions-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Location);
    }

    public string Kind => "sqlite";
    public string Location { get; }

    public ServerOptions Configure(ServerOptions options) => options with { DataDirectory = Location };

    public Task<IReadOnlyList<StoredSize>> SizesAsync(CancellationToken ct)
    {
        IReadOnlyList<StoredSize> files = new DirectoryInfo(Location).EnumerateFiles("*", SearchOption.AllDirectories)
            .Select(f => new StoredSize(Path.GetRelativePath(Location, f.FullName), SafeLength(f)))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(files);
    }

    private static long SafeLength(FileInfo file)
    {
        try
        {
            file.Refresh();
            return file.Length;
        }
        catch (FileNotFoundException)
        {
            return 0; // a file SQLite removed between listing and reading
        }
    }

    public long? FreeBytes() => new DriveInfo(Location).AvailableFreeSpace;

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (!_keep)
        {
            try
            {
                Directory.Delete(Location, recursive: true);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"could not delete {Location}: {ex.Message}");
            }
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>PostgreSQL on a loopback host or Unix socket: a fresh schema in the given database, dropped at the end.</summary>
public sealed class PostgresBenchDatabase : IBenchDatabase
{
    private readonly string _admin;
    private readonly string _schema;
    private readonly bool _keep;
    private readonly string _server;

    private PostgresBenchDatabase(string admin, string schema, string server, bool keep)
    {
        _admin = admin;
        _schema = schema;
        _server = server;
        _keep = keep;
    }

    public string Kind => "postgres";
    public string Location => $"schema {_schema}";

    public static async Task<PostgresBenchDatabase> CreateAsync(string connectionString, bool keep, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        RequireLoopback(builder.Host);
        var schema = "rc_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using (var c = new NpgsqlConnection(builder.ConnectionString))
        {
            await c.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {schema}", c);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        var server = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { SearchPath = schema }.ConnectionString;
        return new PostgresBenchDatabase(builder.ConnectionString, schema, server, keep);
    }

    /// <summary>Traffic stays on this machine: every host must be loopback or a Unix socket directory.</summary>
    private static void RequireLoopback(string? hosts)
    {
        if (string.IsNullOrWhiteSpace(hosts))
        {
            throw new ArgumentException("--postgres needs an explicit Host (127.0.0.1, ::1, localhost or a Unix socket directory)");
        }
        foreach (var raw in hosts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var local = raw.StartsWith('/') || raw.StartsWith('@') || IsLoopbackHost(raw);
            if (!local)
            {
                throw new ArgumentException($"refusing PostgreSQL host '{raw}': not loopback");
            }
        }
    }

    /// <summary>"127.0.0.1", "127.0.0.1:5432", "localhost", "::1", "[::1]:5432".</summary>
    private static bool IsLoopbackHost(string entry)
    {
        var host = entry.StartsWith('[') && entry.IndexOf(']') is > 0 and var close ? entry[1..close]
            : entry.Count(c => c == ':') == 1 ? entry[..entry.IndexOf(':')]
            : entry;
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    public ServerOptions Configure(ServerOptions options) => options with { PostgresConnectionString = _server };

    public async Task<IReadOnlyList<StoredSize>> SizesAsync(CancellationToken ct)
    {
        await using var c = new NpgsqlConnection(_admin);
        await c.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @s AND c.relkind = 'r' ORDER BY c.relname
            """, c);
        cmd.Parameters.AddWithValue("s", _schema);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var sizes = new List<StoredSize>();
        while (await reader.ReadAsync(ct))
        {
            sizes.Add(new StoredSize(reader.GetString(0), reader.GetInt64(1)));
        }
        return sizes;
    }

    public long? FreeBytes() => null;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_keep)
        {
            return;
        }
        try
        {
            await using var c = new NpgsqlConnection(_admin);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP SCHEMA {_schema} CASCADE", c);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            Console.Error.WriteLine($"could not drop {Location}: {ex.Message}");
        }
    }
}
