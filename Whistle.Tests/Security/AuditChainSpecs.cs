using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whistle.Api.Hosting;
using Whistle.Core.Storage;
using Whistle.Tests.Support;

namespace Whistle.Tests.Security;

/// <summary>
/// 等保 2.0 安全审计 (issue 11): the audit trail is a hash chain. Someone with write access to the database changes,
/// deletes or inserts a row; the verification (<c>GET /api/audit/verify</c>, <c>verify-audit</c>) names the first
/// broken link. Untouched, every link holds, also after pruning past the retention. On SQLite and on PostgreSQL (the
/// sealer writes a batch of rows in one statement, its SQL the dialect's).
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public sealed class When_someone_tampers_with_the_audit_trail(string database)
{
    /// <summary>The account that reads and verifies the audit trail.</summary>
    public const string Auditor = "auditadmin";

    private WhistleSystem _system = null!;
    private WhistleClient _auditor = null!;
    private AuditChain _chain = null!;

    [SetUp]
    public async Task Start()
    {
        // The background sealer waits an hour between rounds: the test seals when it means to.
        _system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?> { ["Whistle:Audit:SealInterval"] = "01:00:00" }, database: database);
        _chain = _system.Apis[0].Services.GetRequiredService<AuditChain>();
        _auditor = await _system.SignInAsync(Auditor);
        await WriteAsync(20, DateTimeOffset.UtcNow.AddMinutes(-5));
        await _chain.SealAsync(DateTimeOffset.UtcNow, CancellationToken.None);
    }

    [TearDown]
    public async Task Stop()
    {
        _auditor?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }

    private Task WriteAsync(int count, DateTimeOffset at, string prefix = "row") =>
        _system.Database.WriteAsync(
            async unit =>
            {
                for (var i = 0; i < count; i++)
                {
                    await AuditTrail.WriteAsync(unit, new AuditActor("chain.tester", "链 测试", "127.0.0.1"), "test", $"{prefix}-{i:D3}", AuditActions.Changed, null, new { Index = i }, at.AddSeconds(i));
                }

                unit.Complete();
                return 0;
            },
            CancellationToken.None);

    private async Task ExecuteAsync(string sql, object? args = null)
    {
        await using var c = await _system.Database.DataSource.OpenConnectionAsync();
        await c.ExecuteAsync(sql, args);
    }

    private async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var c = await _system.Database.DataSource.OpenConnectionAsync();
        return (await c.ExecuteScalarAsync<T>(sql, args))!;
    }

    private async Task<JsonNode> VerifyOverHttpAsync()
    {
        var (status, body, _) = await _auditor.GetAsync("/api/audit/verify");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        return body!;
    }

    /// <summary>The id of the row at a chain position.</summary>
    private Task<long> IdAtAsync(long position) => ScalarAsync<long>("SELECT id FROM audit_log WHERE chain_position = @position", new { position });

    [Test]
    public async Task Should_verify_every_row_when_nobody_touched_the_trail()
    {
        var rows = await ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");
        var body = await VerifyOverHttpAsync();
        Assert.Multiple(() =>
        {
            Assert.That(body["verified"]!.GetValue<bool>(), Is.True, body.ToJsonString());
            Assert.That(body["firstBrokenLink"], Is.Null);
            Assert.That(body["verifiedRows"]!.GetValue<long>(), Is.EqualTo(rows).And.GreaterThanOrEqualTo(20), "every row written so far is sealed and verified");
            Assert.That(body["head"]!["position"]!.GetValue<long>(), Is.EqualTo(rows));
        });
        var (listed, page, _) = await _auditor.GetAsync("/api/audit?entity=test&pageSize=5");
        Assert.That(listed, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page!["items"]!.AsArray().Select(e => e!["hash"]?.GetValue<string>()), Has.All.Length.EqualTo(64), "each row shows its hash");
    }

    [Test]
    public async Task Should_report_a_changed_field_at_the_changed_row()
    {
        var id = await IdAtAsync(7);
        await ExecuteAsync("UPDATE audit_log SET after_json = '{\"index\":99}' WHERE id = @id", new { id });

        var body = await VerifyOverHttpAsync();
        var broken = body["firstBrokenLink"]!;
        Assert.Multiple(() =>
        {
            Assert.That(body["verified"]!.GetValue<bool>(), Is.False);
            Assert.That(body["verifiedRows"]!.GetValue<long>(), Is.EqualTo(6));
            Assert.That(broken["id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(broken["position"]!.GetValue<long>(), Is.EqualTo(7));
            Assert.That(broken["reason"]!.GetValue<string>(), Is.EqualTo("changed"));
            Assert.That(broken["expectedHash"]!.GetValue<string>(), Is.Not.EqualTo(broken["storedHash"]!.GetValue<string>()));
        });
    }

    [Test]
    public async Task Should_report_a_changed_row_even_when_the_attacker_recomputes_its_hash()
    {
        // The attacker knows the algorithm: the row's own hash fits its new fields, but the next row's prev_hash does not.
        var id = await IdAtAsync(4);
        await ExecuteAsync("UPDATE audit_log SET user_name = 'somebody.else' WHERE id = @id", new { id });
        await using (var c = await _system.Database.DataSource.OpenConnectionAsync())
        {
            var row = await c.QuerySingleAsync<AuditChain.Row>(
                "SELECT id, at, user_name AS UserName, display_name AS DisplayName, remote_address AS RemoteAddress, entity, entity_key AS EntityKey, action, before_json AS BeforeJson, after_json AS AfterJson, chain_position AS Position, prev_hash AS PrevHash, hash FROM audit_log WHERE id = @id",
                new { id });
            await c.ExecuteAsync("UPDATE audit_log SET hash = @hash WHERE id = @id", new { id, hash = AuditChain.Hash(row, 4, row.PrevHash!) });
        }

        var broken = (await VerifyOverHttpAsync())["firstBrokenLink"]!;
        Assert.That(broken["position"]!.GetValue<long>(), Is.EqualTo(5));
        Assert.That(broken["reason"]!.GetValue<string>(), Is.EqualTo("not-following"));
    }

    [Test]
    public async Task Should_report_a_deleted_row_at_the_row_after_it()
    {
        var deleted = await IdAtAsync(10);
        var next = await IdAtAsync(11);
        await ExecuteAsync("DELETE FROM audit_log WHERE id = @deleted", new { deleted });

        var broken = (await VerifyOverHttpAsync())["firstBrokenLink"]!;
        Assert.Multiple(() =>
        {
            Assert.That(broken["id"]!.GetValue<long>(), Is.EqualTo(next));
            Assert.That(broken["position"]!.GetValue<long>(), Is.EqualTo(11));
            Assert.That(broken["reason"]!.GetValue<string>(), Is.EqualTo("missing-before"));
        });
    }

    [Test]
    public async Task Should_report_deleted_rows_at_the_end_of_the_chain()
    {
        var head = await ScalarAsync<long>("SELECT MAX(chain_position) FROM audit_log");
        await ExecuteAsync("DELETE FROM audit_log WHERE chain_position >= @from", new { from = head - 1 });

        var broken = (await VerifyOverHttpAsync())["firstBrokenLink"]!;
        Assert.That(broken["position"]!.GetValue<long>(), Is.EqualTo(head - 1));
        Assert.That(broken["reason"]!.GetValue<string>(), Is.EqualTo("missing-at-end"));
    }

    [Test]
    public async Task Should_report_a_row_inserted_in_the_middle()
    {
        // Make room at position 8 by moving the rest one up, then put a row there.
        await ExecuteAsync("UPDATE audit_log SET chain_position = -chain_position WHERE chain_position >= 8");
        await ExecuteAsync("UPDATE audit_log SET chain_position = 1 - chain_position WHERE chain_position <= -8");
        var prev = await ScalarAsync<string>("SELECT hash FROM audit_log WHERE chain_position = 7");
        await ExecuteAsync(
            "INSERT INTO audit_log (at, user_name, display_name, entity, entity_key, action, chain_position, prev_hash, hash) VALUES (@at, 'forger', '伪造', 'test', 'forged', 'noted', 8, @prev, @hash)",
            new { at = DateTimeOffset.UtcNow.AddMinutes(-4), prev, hash = new string('a', 64) });
        var forged = await IdAtAsync(8);

        var broken = (await VerifyOverHttpAsync())["firstBrokenLink"]!;
        Assert.That(broken["id"]!.GetValue<long>(), Is.EqualTo(forged));
        Assert.That(broken["position"]!.GetValue<long>(), Is.EqualTo(8));
    }

    [Test]
    public async Task Should_report_a_row_appended_after_the_head_even_with_a_well_computed_hash()
    {
        var head = await ScalarAsync<long>("SELECT MAX(chain_position) FROM audit_log");
        var prev = await ScalarAsync<string>("SELECT hash FROM audit_log WHERE chain_position = @head", new { head });
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        await ExecuteAsync(
            "INSERT INTO audit_log (at, user_name, display_name, entity, entity_key, action, chain_position, prev_hash) VALUES (@at, 'forger', '伪造', 'test', 'forged', 'noted', @position, @prev)",
            new { at, position = head + 1, prev });
        var id = await IdAtAsync(head + 1);
        var row = new AuditChain.Row { Id = id, At = at, UserName = "forger", DisplayName = "伪造", Entity = "test", EntityKey = "forged", Action = "noted" };
        await ExecuteAsync("UPDATE audit_log SET hash = @hash WHERE id = @id", new { id, hash = AuditChain.Hash(row, head + 1, prev) });

        var broken = (await VerifyOverHttpAsync())["firstBrokenLink"]!;
        Assert.Multiple(() =>
        {
            Assert.That(broken["id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(broken["reason"]!.GetValue<string>(), Is.EqualTo("beyond-head"));
        });
    }

    [Test]
    public async Task Should_keep_the_chain_verifiable_after_pruning_past_the_retention()
    {
        // 30 rows from 400 days ago, sealed after the 20 of the set-up: the pruner removes only a prefix of the chain.
        var now = DateTimeOffset.UtcNow;
        await ExecuteAsync("UPDATE audit_log SET at = @old WHERE chain_position <= 12", new { old = now.AddDays(-400) });
        // (that change broke those rows' hashes: rebuild a clean chain for this test from here on)
        await ExecuteAsync("UPDATE audit_log SET chain_position = NULL, prev_hash = NULL, hash = NULL");
        await ExecuteAsync("UPDATE audit_chain SET head_position = 0, head_hash = @g", new { g = AuditChain.Genesis });
        await _chain.SealAsync(now, CancellationToken.None);
        Assert.That((await _chain.VerifyAsync(CancellationToken.None)).Verified, Is.True);
        var total = await ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");

        var pruned = await _chain.PruneAsync(now, CancellationToken.None);
        var after = await _chain.VerifyAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(pruned, Is.EqualTo(12));
            Assert.That(after.Verified, Is.True, after.FirstBrokenLink?.ToString());
            Assert.That(after.Checkpoint.Position, Is.EqualTo(12));
            Assert.That(after.VerifiedRows, Is.EqualTo(total - 12));
        });

        // And the rest is still guarded: a change after the checkpoint is found.
        var id = await IdAtAsync(13);
        await ExecuteAsync("UPDATE audit_log SET action = 'erased' WHERE id = @id", new { id });
        var broken = await _chain.VerifyAsync(CancellationToken.None);
        Assert.That(broken.FirstBrokenLink?.Id, Is.EqualTo(id));
    }

    [Test]
    public async Task Should_seal_each_row_once_when_several_sealers_run_while_rows_are_written()
    {
        // Another instance's sealer: its own AuditChain over the same database.
        var other = new AuditChain(_system.Database, Options.Create(new Whistle.Core.Options.AuditOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<AuditChain>.Instance);
        var writers = Enumerable.Range(0, 8).Select(i => WriteAsync(25, DateTimeOffset.UtcNow, $"w{i}")).ToList();
        var sealers = Enumerable.Range(0, 6).Select(i => Task.Run(() => (i % 2 == 0 ? _chain : other).SealAsync(DateTimeOffset.UtcNow, CancellationToken.None))).ToList();
        await Task.WhenAll(writers);
        await Task.WhenAll(sealers);
        await other.SealAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        var v = await _chain.VerifyAsync(CancellationToken.None);
        var rows = await ScalarAsync<long>("SELECT COUNT(*) FROM audit_log");
        Assert.Multiple(() =>
        {
            Assert.That(v.Verified, Is.True, v.FirstBrokenLink?.ToString());
            Assert.That(v.UnsealedRows, Is.Zero);
            Assert.That(v.VerifiedRows, Is.EqualTo(rows));
            Assert.That(v.Head.Position, Is.EqualTo(rows));
        });
    }

    private static Dictionary<string, string?> SettingsOf(WhistleSystem system)
    {
        var settings = TestSettings.Embedded(system.DataFolder);
        settings["Whistle:Audit:SealInterval"] = "01:00:00";
        if (system.Postgres is { } postgres)
        {
            settings["Whistle:Database:Provider"] = "PostgreSql";
            settings["Whistle:Database:ConnectionString"] = postgres.ConnectionString;
        }

        return settings;
    }

    [Test]
    public async Task Should_verify_from_the_command_line_with_an_exit_code()
    {
        var settings = SettingsOf(_system);
        async Task<(int Code, string Output)> RunAsync()
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.AddWhistleApi();
            await using var app = builder.Build();
            using var output = new StringWriter();
            var code = await AdminCommands.RunAsync(app, ["verify-audit"], new StringReader(""), output);
            return (code, output.ToString());
        }

        var (ok, okText) = await RunAsync();
        Assert.That(ok, Is.Zero, okText);
        Assert.That(okText, Does.Contain("Verified:"));

        var id = await IdAtAsync(3);
        await ExecuteAsync("UPDATE audit_log SET remote_address = '10.0.0.1' WHERE id = @id", new { id });
        var (bad, badText) = await RunAsync();
        Assert.That(bad, Is.EqualTo(1), badText);
        Assert.That(badText, Does.Contain($"position 3, row id {id} (changed)"));
    }
}

/// <summary>The retention of the audit trail cannot be set below what 等保 2.0 asks (180 days).</summary>
public sealed class When_the_audit_retention_is_too_short
{
    [TestCase("179.00:00:00")]
    [TestCase("30.00:00:00")]
    public void Should_refuse_to_start_naming_the_setting(string retention)
    {
        var settings = TestSettings.Embedded(TestSettings.NewDataFolder());
        settings["Whistle:Audit:Retention"] = retention;
        var failure = Assert.CatchAsync<Exception>(async () => await (await ApiHost.StartAsync(settings)).DisposeAsync());
        Assert.That(failure, Is.InstanceOf<OptionsValidationException>().Or.InstanceOf<AggregateException>());
        Assert.That(failure!.Message, Does.Contain("Whistle:Audit:Retention must be at least 180 days"));
    }
}

/// <summary>
/// Issue 15: the sealer chains a batch of rows (up to <see cref="AuditChain.SealBatch"/>) with one UPDATE, not one per
/// row — at 300 whistles a second a sealer found ~1,500 rows every 5 s and sent them one round trip each, under the
/// chain's exclusive lock. PostgreSQL, where each statement is a round trip to the server (Npgsql's own spans count them).
/// </summary>
[NonParallelizable]
public sealed class When_the_audit_sealer_chains_many_rows
{
    [Test]
    public async Task Should_seal_each_batch_in_one_statement()
    {
        await using var system = await WhistleSystem.EmbeddedAsync(settings: new Dictionary<string, string?> { ["Whistle:Audit:SealInterval"] = "01:00:00" }, database: "postgresql");
        var chain = system.Apis[0].Services.GetRequiredService<AuditChain>();
        await chain.SealAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        const int Rows = 1_200;
        await system.Database.WriteAsync(
            async unit =>
            {
                for (var i = 0; i < Rows; i++)
                {
                    await AuditTrail.WriteAsync(unit, new AuditActor("chain.tester", "链 测试", "127.0.0.1"), "test", $"busy-{i:D4}", AuditActions.Changed, null, new { Index = i }, DateTimeOffset.UtcNow);
                }

                unit.Complete();
                return 0;
            },
            CancellationToken.None);

        var sealStatements = 0;
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == "Npgsql",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if (a.TagObjects.Any(t => t.Value is string text && text.Contains("SET chain_position", StringComparison.Ordinal)))
                {
                    Interlocked.Increment(ref sealStatements);
                }
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        var sealedRows = await chain.SealAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        var verification = await chain.VerifyAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(sealedRows, Is.EqualTo(Rows));
            Assert.That(sealStatements, Is.EqualTo((Rows + AuditChain.SealBatch - 1) / AuditChain.SealBatch), "one UPDATE a batch");
            Assert.That(verification.Verified, Is.True, verification.FirstBrokenLink?.ToString());
            Assert.That(verification.UnsealedRows, Is.Zero);
        });
    }
}
