using System.Data;
using System.Globalization;
using Dapper;

namespace Whistle.Core.Storage;

/// <summary>
/// SQLite keeps times as ISO-8601 text (always UTC here, so text order is time order); SQL Server as datetimeoffset;
/// PostgreSQL as timestamptz (Npgsql reads a UTC <see cref="DateTime"/>, and writes only offset 0). Dapper binds every
/// moment in UTC and reads each form into <see cref="DateTimeOffset"/> with this.
/// </summary>
public sealed class DateTimeOffsetHandler : SqlMapper.ITypeHandler
{
    /// <summary>A moment in UTC; a null one still typed as a moment (PostgreSQL cannot type <c>@From IS NULL</c> otherwise).</summary>
    public void SetValue(IDbDataParameter parameter, object value)
    {
        parameter.DbType = DbType.DateTimeOffset;
        parameter.Value = value is DateTimeOffset moment ? moment.ToUniversalTime() : DBNull.Value;
    }

    public object Parse(Type destinationType, object value) => Parse(value);

    public DateTimeOffset Parse(object value) => value switch
    {
        DateTimeOffset d => d.ToUniversalTime(),
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
        string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime(),
        _ => throw new DataException($"Cannot read a time from {value.GetType()}."),
    };

    private static int _registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            // Dapper binds a type it maps itself (DateTimeOffset → DbType.DateTimeOffset) without asking a handler; out of
            // its map, every parameter goes through SetValue, so every moment is written in UTC (Npgsql writes only
            // offset 0 to timestamptz; SQLite's text then sorts as time).
            SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
            SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
            SqlMapper.AddTypeHandler(typeof(DateTimeOffset), new DateTimeOffsetHandler());
        }
    }
}
