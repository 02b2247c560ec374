using System.Reflection;
using System.Text.RegularExpressions;
using Whistle.Contracts;
using Whistle.Core.Attachments;
using Whistle.Core.Domain;
using Whistle.Core.Meetings;
using Whistle.Core.Messaging;
using Whistle.Core.Notices;
using Whistle.Core.Options;
using Whistle.Core.Storage;
using Whistle.Dispatcher.Notices;
using Whistle.Tests.Support;

namespace Whistle.Tests.Data;

/// <summary>
/// Issue 12: <c>audit_log.action</c> was <c>nvarchar(16)</c> while the code wrote <c>attendance-recorded</c> — SQL Server
/// would have answered every attendance with a 500, and SQLite (no lengths) never told. Every bounded text column of
/// every provider (SQL Server's <c>nvarchar(n)</c> / <c>varchar(n)</c> / <c>char(n)</c>, PostgreSQL's <c>varchar(n)</c>
/// and the baseline's <c>CHECK (char_length(c) &lt;= n)</c>, which migration 0031 turns into <c>varchar(n)</c> of the same
/// length), as its migrations leave it, is checked against the
/// longest value the code can put there: the vocabulary words (statuses, roles, audit actions and entities, event and
/// message types…), the texts the code cuts to a length, and the identifiers it makes.
/// </summary>
public sealed partial class When_a_value_meets_its_column
{
    /// <summary>The bounded providers: SQLite's TEXT has no length.</summary>
    private static readonly DatabaseProvider[] Bounded = [DatabaseProvider.SqlServer, DatabaseProvider.PostgreSql];

    [GeneratedRegex(@"\b(?:CREATE|ALTER)\s+TABLE\s+(?:dbo\.)?(?<table>\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex TableOf();

    [GeneratedRegex(@"\b(?<column>\w+)\s+(?:TYPE\s+)?n?(?:var)?char\((?<length>\d+|max)\)", RegexOptions.IgnoreCase)]
    private static partial Regex TypedLength();

    [GeneratedRegex(@"CHECK\s*\(\s*char_length\((?<column>\w+)\)\s*<=\s*(?<length>\d+)\s*\)", RegexOptions.IgnoreCase)]
    private static partial Regex CheckedLength();

    [GeneratedRegex(@"--[^\n]*")]
    private static partial Regex Comment();

    /// <summary><c>table.column</c> → its length, as the dialect's migrations (own and shared, in order) leave it; unbounded columns absent.</summary>
    public static Dictionary<string, int> Lengths(DatabaseProvider provider)
    {
        var lengths = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (_, sql) in DatabaseMigrator.Scripts(provider))
        {
            foreach (var statement in Comment().Replace(sql, "").Split(';'))
            {
                var table = TableOf().Match(statement);
                if (!table.Success)
                {
                    continue;
                }

                foreach (Match m in TypedLength().Matches(statement).Concat(CheckedLength().Matches(statement)))
                {
                    var key = $"{table.Groups["table"].Value}.{m.Groups["column"].Value}";
                    if (m.Groups["length"].Value.Equals("max", StringComparison.OrdinalIgnoreCase))
                    {
                        lengths.Remove(key);
                    }
                    else
                    {
                        lengths[key] = int.Parse(m.Groups["length"].Value, System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }
        }

        return lengths;
    }

    private static List<string> Words(Type vocabulary) =>
        vocabulary.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

    // The literals the code passes as the action or entity of an audit row (AuditTrail.WriteAsync / RecordAsync), or sets
    // the variable it passes as the action to; and WhistleStore's action for each event type.
    [GeneratedRegex(@"AuditTrail\.(?:WriteAsync|RecordAsync)\((?<args>(?:[^;])*?)\);", RegexOptions.Singleline)]
    private static partial Regex AuditCall();

    [GeneratedRegex(@"""(?<word>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)""")]
    private static partial Regex Word();

    [GeneratedRegex(@"\baction\s*=\s*""(?<word>[a-z][a-z0-9-]*)""")]
    private static partial Regex ActionAssigned();

    private static IEnumerable<string> ProductSources()
    {
        var root = Repository.Root;
        return new[] { "Whistle.Core", "Whistle.Api", "Whistle.Dispatcher" }
            .SelectMany(p => Directory.EnumerateFiles(Path.Combine(root, p), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText);
    }

    private static List<string> AuditWords(bool actions)
    {
        var words = new List<string>();
        foreach (var source in ProductSources())
        {
            foreach (Match call in AuditCall().Matches(source))
            {
                words.AddRange(Word().Matches(call.Groups["args"].Value).Select(m => m.Groups["word"].Value));
            }

            if (actions)
            {
                words.AddRange(ActionAssigned().Matches(source).Select(m => m.Groups["word"].Value));
            }
        }

        if (actions)
        {
            words.AddRange(Words(typeof(WhistleEventTypes)).Select(Core.Whistles.WhistleStore.AuditAction));
            words.AddRange(Words(typeof(SummonsStatus)));
        }

        return words;
    }

    /// <summary>Each bounded column the code writes a word or a made-up text into, with the longest it can write there.</summary>
    public static IEnumerable<(string Column, string What, string Longest)> Longest()
    {
        (string, string, string) Of(string column, string what, IEnumerable<string> values) => (column, what, values.MaxBy(v => v.Length)!);
        var eventTypes = Words(typeof(WhistleEventTypes));
        var unbounded = new string('x', 100_000);
        // The longest host name Linux allows (HOST_NAME_MAX; a Kubernetes pod is named up to 63 characters).
        var hostName = new string('h', 64);
        yield return Of("whistles.status", "WhistleStatus", Words(typeof(WhistleStatus)));
        yield return Of("whistles.urgency", "Urgency", Words(typeof(Urgency)));
        yield return Of("matter_limits.urgency", "Urgency", Words(typeof(Urgency)));
        yield return Of("assignments.status", "AssignmentStatus", Words(typeof(AssignmentStatus)));
        yield return Of("assignments.role", "AssignmentRole", Words(typeof(AssignmentRole)));
        yield return Of("matter_agencies.role", "AssignmentRole", Words(typeof(AssignmentRole)));
        yield return Of("assignments.rating", "Rating", Words(typeof(Rating)));
        yield return Of("assignments.next_step_kind", "EscalationPolicy kinds", [EscalationPolicy.Remind, EscalationPolicy.Escalate]);
        yield return Of("users.role", "Roles", Words(typeof(Roles)));
        yield return Of("timeline.type", "WhistleEventTypes", eventTypes);
        yield return Of("notice_deliveries.event_type", "WhistleEventTypes", eventTypes);
        yield return Of("outbox.message_type", "MessageTypes", new[] { typeof(WhistleRaised), typeof(WhistleEventRecorded), typeof(WhistleEventsRecorded), typeof(CountyChanged) }.Select(MessageTypes.NameOf));
        yield return Of("meetings.kind", "MeetingKind", Words(typeof(MeetingKind)));
        yield return Of("meetings.status", "MeetingStatus", Words(typeof(MeetingStatus)));
        yield return Of("meeting_summons.status", "SummonsStatus", Words(typeof(SummonsStatus)));
        yield return Of("meeting_summons.attendance", "Attendance", Words(typeof(Attendance)));
        yield return Of("notice_channels.kind", "NoticeVocabulary.Kinds", NoticeVocabulary.Kinds);
        yield return Of("notice_channels.unit_kind", "NoticeVocabulary.UnitKinds", NoticeVocabulary.UnitKinds);
        yield return Of("attachments.purpose", "AttachmentPurpose", AttachmentPurpose.All);
        yield return Of("notice_deliveries.status", "NoticeVocabulary statuses", [NoticeVocabulary.Pending, NoticeVocabulary.Sent, NoticeVocabulary.Failed]);
        yield return Of("audit_log.action", "audit actions (literals at AuditTrail's calls, assigned actions, WhistleStore.AuditAction)", AuditWords(actions: true));
        yield return Of("audit_log.entity", "audit entities (literals at AuditTrail's calls)", AuditWords(actions: false).Where(w => !AuditWords(actions: true).Contains(w) || w is "audit" or "account"));
        yield return Of("audit_log.remote_address", "an IPv6 address with an IPv4 tail; the command line's host name", ["ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", hostName]);
        yield return Of("outbox.trace_parent", "a W3C traceparent", ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]);
        yield return Of("outbox.locked_by", "the relay's id on the longest host name", [OutboxRelay.NewRelayId(hostName, 4_194_304)]);
        yield return Of("outbox.last_error", "why a row was set aside, as cut by the relay", [OutboxRelay.SetAsideReason(unbounded)]);
        yield return Of("notice_deliveries.last_error", "a failed attempt's error, as cut by the sender", [$"HTTP 599: {NoticeHttp.Excerpt(unbounded)}", NoticeHttp.Excerpt(unbounded, 300)]);
        yield return Of("notice_attempts.error", "a failed attempt's error, as cut by the sender", [$"HTTP 599: {NoticeHttp.Excerpt(unbounded)}", NoticeHttp.Excerpt(unbounded, 300)]);
        yield return Of("audit_log.hash", "SHA-256, hex", [AuditChain.Genesis]);
        yield return Of("audit_log.prev_hash", "SHA-256, hex", [AuditChain.Genesis]);
    }

    public static IEnumerable<TestCaseData> Cases() =>
        from provider in Bounded
        from longest in Longest()
        select new TestCaseData(provider, longest.Column, longest.What, longest.Longest).SetName($"{provider}.{longest.Column}");

    [TestCaseSource(nameof(Cases))]
    public void Should_hold_the_longest_value_the_code_writes(DatabaseProvider provider, string column, string what, string longest)
    {
        var lengths = Lengths(provider);
        Assert.That(lengths.TryGetValue(column, out var length) ? length : int.MaxValue, Is.GreaterThanOrEqualTo(longest.Length), $"{provider} {column} is shorter than the longest of {what}: '{longest}' ({longest.Length})");
    }

    [Test]
    public void Should_read_the_lengths_of_every_bounded_provider()
    {
        var sqlServer = Lengths(DatabaseProvider.SqlServer);
        var postgres = Lengths(DatabaseProvider.PostgreSql);
        Assert.Multiple(() =>
        {
            Assert.That(sqlServer["audit_log.action"], Is.EqualTo(64), "widened by 0010 from nvarchar(16)");
            Assert.That(sqlServer.ContainsKey("notice_channels.url"), Is.False, "nvarchar(max) since 0007");
            Assert.That(sqlServer["whistles.title"], Is.EqualTo(100));
            Assert.That(postgres["whistles.title"], Is.EqualTo(100));
            Assert.That(postgres.Keys, Is.EquivalentTo(sqlServer.Keys), "the same columns are bounded on both");
            foreach (var key in sqlServer.Keys.Intersect(postgres.Keys))
            {
                Assert.That(postgres[key], Is.EqualTo(sqlServer[key]), key);
            }
        });
    }

    [Test]
    public void Should_check_every_bounded_column_the_code_writes_a_word_into()
    {
        var covered = Longest().Select(l => l.Column).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.That(covered.Where(c => !Lengths(DatabaseProvider.SqlServer).ContainsKey(c)), Is.Empty, "each checked column is bounded (else the check means nothing)");
    }
}
