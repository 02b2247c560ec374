using Whistle.Core.Storage;

namespace Whistle.Tests.Unit;

/// <summary>
/// Every action on the audit trail is a word of <see cref="AuditActions"/>, which the UI translates (a Vitest walks the
/// list, Whistle.Web/tests/audit.test.ts): a word outside it is refused before anything is written.
/// </summary>
public sealed class When_an_action_is_written_to_the_audit_trail
{
    [Test]
    public void Should_refuse_a_word_the_UI_cannot_translate()
    {
        var refused = Assert.ThrowsAsync<ArgumentException>(() =>
            AuditTrail.WriteAsync(null!, new AuditActor("u", "U", null), AuditEntities.Account, "u", "signed-in-somehow", null, null, DateTimeOffset.UnixEpoch));
        Assert.That(refused!.Message, Does.Contain("signed-in-somehow").And.Contain("AuditActions"));
    }

    [Test]
    public void Should_know_every_action_the_audit_page_filters_sign_ins_by() =>
        Assert.That(Whistle.Api.Audit.AuditQueries.SignInActions, Is.SubsetOf(AuditActions.All));

    [Test]
    public void Should_list_words_in_kebab_case() =>
        Assert.That(AuditActions.All.Concat(AuditEntities.All), Has.All.Matches("^[a-z]+(-[a-z]+)*$"));
}
