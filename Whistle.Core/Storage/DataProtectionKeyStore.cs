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

    public void StoreElement(XElement element, string friendlyName) =>
        database.WriteAsync(
            async unit =>
            {
                await unit.Connection.ExecuteAsync(
                    InsertSql,
                    new { FriendlyName = string.IsNullOrWhiteSpace(friendlyName) ? "key" : friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting), CreatedAt = time.GetUtcNow() },
                    unit.Transaction);
                unit.Complete();
                return 0;
            },
            CancellationToken.None).GetAwaiter().GetResult();
}
