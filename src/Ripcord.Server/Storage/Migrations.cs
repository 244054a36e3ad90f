using DbUp;
using DbUp.Builder;

namespace Ripcord.Server.Storage;

/// <summary>
/// Versioned schema migrations with DbUp: ordered SQL scripts embedded in this assembly
/// (Storage/Migrations/{set}/{dialect}/NNNN_name.sql), each applied once, in its own transaction,
/// and journaled in the database. Script 0001 of each set is the schema as released before
/// migrations were versioned, written with IF NOT EXISTS so that a database made by that release
/// is adopted as it is and upgraded from there.
/// </summary>
public static class Migrations
{
    public const string Config = "config";
    public const string Telemetry = "telemetry";

    private const string Prefix = "migrations/";

    public static string ResourcePrefix(string set, SqlDialect dialect) =>
        $"{Prefix}{set}/{(dialect == SqlDialect.Sqlite ? "sqlite" : "postgres")}/";

    /// <summary>The scripts of a set, in the order they apply.</summary>
    public static IReadOnlyList<string> Scripts(string set, SqlDialect dialect)
    {
        var prefix = ResourcePrefix(set, dialect);
        return [.. typeof(Migrations).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Applies what is missing; throws with the failing script's name when one fails (that script is rolled back).</summary>
    public static IReadOnlyList<string> Run(UpgradeEngineBuilder target, string set, SqlDialect dialect, ILoggerFactory? logs)
    {
        var prefix = ResourcePrefix(set, dialect);
        var builder = target
            .WithScriptsEmbeddedInAssembly(typeof(Migrations).Assembly, name => name.StartsWith(prefix, StringComparison.Ordinal))
            .WithTransactionPerScript();
        builder = logs is null ? builder.LogToNowhere() : builder.LogTo(logs);
        var result = builder.Build().PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException(
                $"migrating the {set} database failed at {result.ErrorScript?.Name ?? "?"}: {result.Error?.Message}", result.Error);
        }
        return [.. result.Scripts.Select(s => s.Name[prefix.Length..])];
    }

    /// <summary>The scripts a database has already applied, from the DbUp journal.</summary>
    public static IReadOnlyList<string> Applied(UpgradeEngineBuilder target, string set, SqlDialect dialect)
    {
        var prefix = ResourcePrefix(set, dialect);
        return [.. target.WithScriptsEmbeddedInAssembly(typeof(Migrations).Assembly, name => name.StartsWith(prefix, StringComparison.Ordinal))
            .LogToNowhere().Build().GetExecutedScripts().Select(s => s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : s)];
    }

    internal static UpgradeEngineBuilder Sqlite(string connectionString) => DeployChanges.To.SqliteDatabase(connectionString);

    internal static UpgradeEngineBuilder Postgres(string connectionString, string journalTable) =>
        DeployChanges.To.PostgresqlDatabase(connectionString, null).JournalToPostgresqlTable(null, journalTable);
}
