using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Ui;

/// <summary>
/// ASP.NET Core Data Protection's key ring in the shared configuration database (<c>data_protection_keys</c>), so every
/// node protects and reads the dashboard's antiforgery tokens with the same keys: a form one node rendered is accepted
/// by another, and a restart keeps the keys. The keys protect only antiforgery tokens, which are worth nothing without a
/// session (whose id the database holds only as a hash); they are stored as Data Protection writes them, unencrypted,
/// like its default file-system repository, so reading this table is guarded like the database itself.
/// </summary>
/// <remarks>Data Protection's repository interface is synchronous; it is called when the key ring is loaded or a key is made.</remarks>
public sealed class DatabaseKeyRepository(Databases databases, TimeProvider clock) : IXmlRepository
{
    private SqlDatabase Db => databases.Config;

    public IReadOnlyCollection<XElement> GetAllElements() =>
        Db.QueryAsync("SELECT xml FROM data_protection_keys ORDER BY created_at, name", r => XElement.Parse(r.GetString(0)), CancellationToken.None)
            .GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) => StoreAsync(element, friendlyName).GetAwaiter().GetResult();

    private async Task StoreAsync(XElement element, string friendlyName)
    {
        await using var write = await Db.BeginWriteAsync(CancellationToken.None);
        await write.ExecAsync("INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @at)", CancellationToken.None,
            ("@name", friendlyName), ("@xml", element.ToString(SaveOptions.DisableFormatting)), ("@at", Db.Time(SqlDatabase.Storable(clock.GetUtcNow()))));
        await write.CommitAsync(CancellationToken.None);
    }
}
