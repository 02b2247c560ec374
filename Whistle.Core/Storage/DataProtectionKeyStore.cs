using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Whistle.Core.Storage;

/// <summary>
/// ASP.NET Core Data Protection's key ring in the database (<c>data_protection_keys</c>), so that every Api and
/// Dispatcher instance — application name <c>Whistle</c> — reads the same keys and decrypts what another encrypted.
/// Data Protection adds keys (a new one every 90 days, before the old one expires) and never deletes one: old
/// payloads stay readable. The interface is synchronous; the key ring is read once and then cached for hours.
/// </summary>
public sealed class DataProtectionKeyStore(WhistleDatabase database, TimeProvider time) : IXmlRepository
{
    public const string ApplicationName = "Whistle";

    private const string AllSql = "SELECT xml FROM data_protection_keys ORDER BY id;";

    private const string InsertSql = "INSERT INTO data_protection_keys (friendly_name, xml, created_at) VALUES (@FriendlyName, @Xml, @CreatedAt);";

    public IReadOnlyCollection<XElement> GetAllElements() =>
        database.ReadAsync(c => c.QueryAsync<string>(AllSql), CancellationToken.None).GetAwaiter().GetResult()
            .Select(x => XElement.Parse(x))
            .ToList();

    /// <remarks>
    /// One statement, committed on its own, outside this process's writer turn (<see cref="WhistleDatabase"/>): Data
    /// Protection may make a key while it decrypts, and a decryption may run inside a write transaction (a notice
    /// channel's secret); waiting for the writer turn that transaction holds would never end. On SQLite the insert waits
    /// in SQLite's busy handler instead, as every writer did before the turn.
    /// </remarks>
    public void StoreElement(XElement element, string friendlyName) =>
        database.ReadAsync(
            c => c.ExecuteAsync(
                InsertSql,
                new { FriendlyName = string.IsNullOrWhiteSpace(friendlyName) ? "key" : friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting), CreatedAt = time.GetUtcNow() }),
            CancellationToken.None).GetAwaiter().GetResult();
}
