using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Whistle.Core.Options;
using Whistle.Core.Storage;

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

    /// <summary>The configured connection string as the dialect completes it (SQLite: <c>whistle.db</c> in the data folder by default).</summary>
    public string ConnectionString => SqlDialect.For(database.Value.Provider).ConnectionString(database.Value.ConnectionString, () => DataFolder);

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
