using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Whistle.Core.Options;

namespace Whistle.Core.Hosting;

/// <summary>Resolves the data folder, the database connection string and the county file.</summary>
public sealed class WhistlePaths(IHostEnvironment environment, IOptions<WhistleOptions> whistle, IOptions<DatabaseOptions> database)
{
    public string DataFolder
    {
        get
        {
            var folder = Path.GetFullPath(whistle.Value.DataFolder, environment.ContentRootPath);
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public string ConnectionString => database.Value.Provider switch
    {
        DatabaseProvider.Sqlite => new SqliteConnectionStringBuilder(database.Value.ConnectionString ?? string.Empty)
        {
            DataSource = string.IsNullOrEmpty(database.Value.ConnectionString)
                ? Path.Combine(DataFolder, "whistle.db")
                : new SqliteConnectionStringBuilder(database.Value.ConnectionString).DataSource,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString(),
        _ => database.Value.ConnectionString
            ?? throw new OptionsValidationException(DatabaseOptions.Section, typeof(DatabaseOptions), ["Whistle:Database:ConnectionString is required for SQL Server."]),
    };

    public string CountyFile
    {
        get
        {
            var file = whistle.Value.County.File;
            if (Path.IsPathRooted(file))
            {
                return file;
            }

            var fromContentRoot = Path.GetFullPath(file, environment.ContentRootPath);
            return File.Exists(fromContentRoot) ? fromContentRoot : Path.GetFullPath(file, AppContext.BaseDirectory);
        }
    }
}
