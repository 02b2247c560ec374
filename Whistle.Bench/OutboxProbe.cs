using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Whistle.Bench;

/// <summary>Outbox rows not yet published, read from the shared database (SQLite file or PostgreSQL).</summary>
public static class OutboxProbe
{
    private const string Sql = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL;";

    public static async Task<long> BacklogAsync(string? postgres, string? sqliteFile)
    {
        try
        {
            if (postgres is not null)
            {
                await using var pg = new NpgsqlConnection(postgres);
                await pg.OpenAsync();
                await using var pgCommand = new NpgsqlCommand(Sql, pg);
                return Convert.ToInt64(await pgCommand.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
            }

            if (sqliteFile is null || !File.Exists(sqliteFile)) return 0;
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqliteFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = Sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is SqliteException or NpgsqlException or InvalidOperationException)
        {
            return -1;
        }
    }
}
