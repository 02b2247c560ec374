using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Core.Storage;

namespace Whistle.Core.Notices;

/// <summary>
/// A channel's URL and secret at rest (issue 11, finding 4): the WeCom key, the DingTalk access token and the Feishu
/// hook token are in the URL, so both are credentials. They are stored as <c>dp1:</c> + an ASP.NET Core Data
/// Protection payload (AES-256-CBC with HMAC-SHA256, keys in <c>data_protection_keys</c>, application name
/// <c>Whistle</c>, purpose <see cref="Purpose"/>), decrypted only to send, and shown only masked
/// (<see cref="NoticeUrls.Mask"/>). A value without the prefix is an earlier version's clear text: read as it is,
/// and encrypted when an instance starts (<see cref="EncryptPlainRowsAsync"/>).
/// </summary>
public sealed partial class NoticeSecrets(IDataProtectionProvider provider, WhistleDatabase database, ILogger<NoticeSecrets> logger)
{
    public const string Prefix = "dp1:";
    public const string Purpose = "Whistle.Notices.ChannelCredentials.v1";
    public const string Undecryptable = "(cannot be decrypted: its key is not in data_protection_keys)";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public static bool IsProtected(string? stored) => stored?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    public string Protect(string clear) => Prefix + _protector.Protect(clear);

    /// <summary>The clear text; a value an earlier version stored in clear is returned as it is.</summary>
    /// <exception cref="CryptographicException">The key that encrypted it is not in the key ring.</exception>
    public string Reveal(string stored) => IsProtected(stored) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    /// <summary>The row in clear (<paramref name="clear"/>) with its URL and secret encrypted, to store.</summary>
    public NoticeChannelRow Protect(NoticeChannelRow clear) =>
        clear with { Url = Protect(clear.Url), Secret = clear.Secret is null ? null : Protect(clear.Secret) };

    /// <summary>A stored row with whatever an earlier version left in clear encrypted.</summary>
    private NoticeChannelRow ProtectPlain(NoticeChannelRow stored) => stored with
    {
        Url = IsProtected(stored.Url) ? stored.Url : Protect(stored.Url),
        Secret = stored.Secret is null || IsProtected(stored.Secret) ? stored.Secret : Protect(stored.Secret),
    };

    /// <summary>The row with its URL and secret in clear, to send.</summary>
    /// <exception cref="CryptographicException">The key that encrypted it is not in the key ring.</exception>
    public NoticeChannelRow Reveal(NoticeChannelRow row) =>
        row with { Url = Reveal(row.Url), Secret = row.Secret is null ? null : Reveal(row.Secret) };

    /// <summary>The stored URL as the API and the audit trail show it.</summary>
    public string MaskedUrl(NoticeChannelRow stored)
    {
        try
        {
            return NoticeUrls.Mask(Reveal(stored.Url));
        }
        catch (CryptographicException)
        {
            return Undecryptable;
        }
    }

    /// <summary>
    /// Encrypts the rows an earlier version wrote in clear (each only if still unchanged: several instances may start
    /// at once), and makes sure the key ring has a key. Run at every start of the Api and the Dispatcher, and by the
    /// migration step; returns how many rows it encrypted.
    /// </summary>
    public async Task<int> EncryptPlainRowsAsync(CancellationToken cancellationToken)
    {
        _ = Protect("key ring"); // creates the first key, or loads the ring, before any request needs it
        var plain = await database.ReadAsync(NoticeStore.PlainChannelsAsync, cancellationToken);
        var encrypted = 0;
        foreach (var row in plain)
        {
            var done = await database.WriteAsync(
                async unit =>
                {
                    var changed = await NoticeStore.EncryptChannelAsync(unit, row, ProtectPlain(row));
                    unit.Complete();
                    return changed;
                },
                cancellationToken);
            encrypted += done ? 1 : 0;
        }

        if (encrypted > 0)
        {
            LogEncrypted(logger, encrypted);
        }

        return encrypted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Encrypted the URL and secret of {Count} notice channel(s) stored in clear by an earlier version.")]
    private static partial void LogEncrypted(ILogger logger, int count);
}

/// <summary>Encrypts plain rows at start (after the migrations: registered after the database initializer).</summary>
internal sealed class NoticeSecretsStartup(NoticeSecrets secrets) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => secrets.EncryptPlainRowsAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Checks <c>Whistle:Notices:AllowedNetworks</c>, naming a wrong entry.</summary>
internal sealed class NoticeNetworkOptionsValidation : IValidateOptions<NoticeNetworkOptions>
{
    public ValidateOptionsResult Validate(string? name, NoticeNetworkOptions options) =>
        NoticeAddressPolicy.TryParseNetworks(options.AllowedNetworks, out _, out var wrong)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Whistle:Notices:AllowedNetworks must be CIDR networks separated by commas, e.g. 10.20.0.0/16, 192.168.8.0/24; '{wrong}' is not one.");
}

public static class NoticeSecretsExtensions
{
    /// <summary>
    /// What every process needs for notice channels: the address policy (<c>Whistle:Notices:AllowedNetworks</c>), Data
    /// Protection with its key ring in the database (application name <c>Whistle</c>), <see cref="NoticeSecrets"/>, and
    /// the start-up encryption of plain rows.
    /// </summary>
    public static IHostApplicationBuilder AddWhistleNoticeSecrets(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NoticeNetworkOptions>().BindConfiguration(NoticeNetworkOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NoticeNetworkOptions>, NoticeNetworkOptionsValidation>();
        services.AddSingleton(sp => NoticeAddressPolicy.From(sp.GetRequiredService<IOptions<NoticeNetworkOptions>>().Value.AllowedNetworks));

        services.AddDataProtection().SetApplicationName(DataProtectionKeyStore.ApplicationName);
        services.AddOptions<KeyManagementOptions>().Configure<WhistleDatabase, TimeProvider>(
            (o, database, time) => o.XmlRepository = new DataProtectionKeyStore(database, time));
        services.AddSingleton<NoticeSecrets>();
        services.AddSingleton<NoticeStore>();
        services.AddHostedService<NoticeSecretsStartup>();
        return builder;
    }
}
