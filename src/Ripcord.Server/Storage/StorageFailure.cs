using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ripcord.Server.Storage;

/// <summary>Which storage errors mean "there is no room, or no way, to write" rather than a bug.</summary>
public static class StorageFailure
{
    // SQLITE_READONLY 8, SQLITE_IOERR 10, SQLITE_CORRUPT 11, SQLITE_FULL 13, SQLITE_CANTOPEN 14.
    private static readonly HashSet<int> SqliteUnwritable = [8, 10, 13, 14];

    /// <summary>The disk (or the database's size limit) is full: SQLITE_FULL, or PostgreSQL's disk_full / out_of_memory class 53.</summary>
    public static bool IsFull(Exception ex) => ex switch
    {
        SqliteException s => s.SqliteErrorCode == 13,
        PostgresException p => p.SqlState.StartsWith("53", StringComparison.Ordinal),
        _ => ex.InnerException is { } inner && IsFull(inner),
    };

    /// <summary>Full, read-only or failing I/O: storing is impossible until an operator acts, whatever is written.</summary>
    public static bool IsUnwritable(Exception ex) => ex switch
    {
        SqliteException s => SqliteUnwritable.Contains(s.SqliteErrorCode),
        PostgresException p => p.SqlState.StartsWith("53", StringComparison.Ordinal) || p.SqlState == "25006",
        IOException => true,
        DbException => false,
        _ => ex.InnerException is { } inner && IsUnwritable(inner),
    };
}
