using System.Text.RegularExpressions;
using DbUp.Engine;
using Whistle.Core.Options;

namespace Whistle.Core.Storage;

/// <summary>
/// Runs the migrations with DbUp. Each dialect runs, in the order of their numbers, the scripts of its own folder
/// (<c>Storage/Migrations/{Provider}</c>: written for it alone, run as written) and the shared ones
/// (<c>Storage/Migrations/Shared</c>: written once, where the dialects agree, with a few type tokens the dialect spells:
/// <see cref="MigrationTypes"/>). DbUp journals a script by its resource name, so a script never moves between folders
/// and never changes once released; numbers are unique across the folders a dialect runs.
/// </summary>
public static partial class DatabaseMigrator
{
    /// <summary>The folder of migrations written once for every dialect.</summary>
    public const string SharedFolder = "Shared";

    /// <summary>Runs the scripts not yet run. <paramref name="ensureDatabase"/>: create the database first when it does not exist (a server's).</summary>
    public static void Migrate(DatabaseProvider provider, string connectionString, bool ensureDatabase = false)
    {
        var dialect = SqlDialect.For(provider);
        using var prepared = dialect.PrepareMigration(connectionString, ensureDatabase);
        var result = dialect.Migrations(connectionString)
            .WithScripts(Scripts(dialect).Select(s => new SqlScript(s.Name, s.Sql)))
            .WithScriptSorter(scripts => scripts.OrderBy(s => FileName(s.Name), StringComparer.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Database migration failed in {result.ErrorScript?.Name}.", result.Error);
        }
    }

    /// <summary>The migration scripts of a dialect as it runs them, in order: its own verbatim, the shared ones with their tokens spelled.</summary>
    public static IReadOnlyList<(string Name, string Sql)> Scripts(DatabaseProvider provider) => Scripts(SqlDialect.For(provider));

    public static IReadOnlyList<(string Name, string Sql)> Scripts(SqlDialect dialect)
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var own = $".Storage.Migrations.{dialect.MigrationFolder}.";
        var shared = $".Storage.Migrations.{SharedFolder}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.Contains(own, StringComparison.Ordinal) || n.Contains(shared, StringComparison.Ordinal))
            .OrderBy(FileName, StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                var text = reader.ReadToEnd();
                return (n, n.Contains(shared, StringComparison.Ordinal) ? Render(text, dialect.MigrationTypes) : text);
            })
            .ToList();
    }

    /// <summary>
    /// A shared script as one dialect runs it: <c>{text}</c>, <c>{text:N}</c>, <c>{timestamp}</c>, <c>{int}</c>,
    /// <c>{bigint}</c>, <c>{bigint-identity}</c>, <c>{bool}</c>, <c>{real}</c>, <c>{schema}</c>, <c>{add-column}</c> and
    /// <c>{go}</c> spelled as <paramref name="types"/> says; any other <c>{…}</c> is refused.
    /// </summary>
    public static string Render(string script, MigrationTypes types) =>
        Token().Replace(script, m => m.Groups["name"].Value switch
        {
            "text" when m.Groups["length"].Success => types.BoundedText(int.Parse(m.Groups["length"].Value, System.Globalization.CultureInfo.InvariantCulture)),
            "text" => types.Text,
            "timestamp" => types.Timestamp,
            "int" => types.Integer,
            "bigint" => types.BigInteger,
            "bigint-identity" => types.Identity,
            "bool" => types.Boolean,
            "real" => types.Real,
            "schema" => types.Schema,
            "add-column" => types.AddColumn,
            "go" => types.BatchSeparator,
            var unknown => throw new InvalidOperationException($"Unknown migration token {{{unknown}}}: see DatabaseMigrator.Render."),
        });

    /// <summary>The script's file name (<c>0012_name.sql</c>), which orders the scripts of every folder together.</summary>
    public static string FileName(string resourceName)
    {
        var at = resourceName.IndexOf(".Storage.Migrations.", StringComparison.Ordinal);
        var rest = at < 0 ? resourceName : resourceName[(at + ".Storage.Migrations.".Length)..];
        return rest[(rest.IndexOf('.', StringComparison.Ordinal) + 1)..];
    }

    [GeneratedRegex(@"\{(?<name>[a-z][a-z-]*)(:(?<length>\d+))?\}")]
    private static partial Regex Token();
}
