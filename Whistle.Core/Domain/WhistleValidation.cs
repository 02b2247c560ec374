using Whistle.Core.Assessment;
using Whistle.Core.Problems;
using Whistle.Core.County;
using Whistle.Core.Whistles;

namespace Whistle.Core.Domain;

/// <summary>Input rules, the same as the web form's. Every failure is named by its field.</summary>
public static class WhistleValidation
{
    public const int TitleMax = 100;
    public const int DescriptionMax = 2000;
    public const int AddressMax = 200;
    public const int NoteMax = 2000;
    public const int CommentMax = 1000;
    public const int ExtraAgenciesMax = 10;
    public const int EtaMinutesMax = 7 * 24 * 60;
    public const int IdempotencyKeyMax = 200;

    /// <summary>
    /// A report's expected day (YYYY-MM-DD in Asia/Shanghai): not before today there, not with an ETA in minutes as well.
    /// Null when none was given or it is wrong (then <paramref name="errors"/> says why).
    /// </summary>
    public static DateOnly? ExpectedOn(FieldErrors errors, ReportRequest request, DateTimeOffset now)
    {
        if (request.ExpectedOn is null) return null;
        if (!DateOnly.TryParseExact(request.ExpectedOn, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day))
        {
            errors.Set("expectedOn", Problem.DateFormat("The expected day is YYYY-MM-DD."));
            return null;
        }

        if (request.EtaMinutes is not null) errors.Set("expectedOn", Problem.EtaOrExpectedDay());
        else if (day < ChinaTime.LocalDate(now)) errors.Set("expectedOn", Problem.ExpectedDayInPast());
        return errors.ContainsKey("expectedOn") ? null : day;
    }

    public static FieldErrors Raise(RaiseWhistleRequest r, CountyCatalog catalog)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(r.MatterCode)) errors.Set("matterCode", Problem.Required("matterCode", "The matter is required."));
        else if (catalog.FindActiveMatter(r.MatterCode) is null) errors.Set("matterCode", Problem.NotOnWhistleList(r.MatterCode));
        Text(errors, "title", r.Title, TitleMax, required: true);
        Text(errors, "description", r.Description, DescriptionMax, required: false, multiLine: true);
        Text(errors, "address", r.Address, AddressMax, required: true);
        if (string.IsNullOrWhiteSpace(r.Urgency)) errors.Set("urgency", Problem.Required("urgency", "The urgency is required."));
        else if (!Urgency.IsValid(r.Urgency)) errors.Set("urgency", Problem.OneOf("urgency", Urgency.All, $"The urgency must be one of {string.Join(", ", Urgency.All)}."));
        if (r.Latitude is { } lat && (double.IsNaN(lat) || lat is < -90 or > 90)) errors.Set("latitude", Problem.OutOfRange("latitude", -90, 90, "The latitude must be between -90 and 90."));
        if (r.MediaUrl is not null && !Attachments.AttachmentStore.IsReferenceUrl(r.MediaUrl))
            errors.Set("mediaUrl", Problem.MediaUrl());
        if (r.Longitude is { } lon && (double.IsNaN(lon) || lon is < -180 or > 180)) errors.Set("longitude", Problem.OutOfRange("longitude", -180, 180, "The longitude must be between -180 and 180."));
        if (r.Latitude.HasValue != r.Longitude.HasValue) errors.Set(r.Latitude.HasValue ? "longitude" : "latitude", Problem.BothOrNeither(r.Latitude.HasValue ? "longitude" : "latitude", r.Latitude.HasValue ? "latitude" : "longitude", "Give both latitude and longitude, or neither."));
        if (r.ExtraAgencyCodes is { } extra)
        {
            var unknown = extra.Where(code => string.IsNullOrWhiteSpace(code) || catalog.FindAgency(code) is null).ToList();
            if (extra.Count > ExtraAgenciesMax) errors.Set("extraAgencyCodes", Problem.TooMany("extraAgencyCodes", ExtraAgenciesMax, $"At most {ExtraAgenciesMax} further agencies can be summoned."));
            else if (unknown.Count > 0) errors.Set("extraAgencyCodes", Problem.Unknown("extraAgencyCodes", string.Join(", ", unknown), $"Unknown agencies: {string.Join(", ", unknown)}."));
        }

        return errors;
    }

    /// <summary>
    /// The one rule for a text field of the API: required or not, at most <paramref name="max"/> characters, and no
    /// control character (<see cref="ControlCharacter"/>); tab, CR and LF only where the field is
    /// <paramref name="multiLine"/> (descriptions, notes, reasons, comments, agendas, minutes).
    /// </summary>
    public static void Text(FieldErrors errors, string field, string? value, int max, bool required, bool multiLine = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required) errors.Set(field, Problem.Required(field));
            else if (value is not null && ControlCharacter(value, multiLine) is { } blank) errors.Set(field, Problem.ControlCharacter(field, blank, multiLine));
            return;
        }

        if (value.Trim().Length > max) errors.Set(field, Problem.TooLong(field, max));
        else if (ControlCharacter(value, multiLine) is { } bad) errors.Set(field, Problem.ControlCharacter(field, bad, multiLine));
    }

    /// <summary>
    /// The first character a stored text may not hold, as its code (U+xxxx), or null: C0 controls (tab, CR and LF
    /// allowed in <paramref name="multiLine"/> text), DEL and the C1 controls, the noncharacters U+FFFE and U+FFFF,
    /// and a surrogate that is not half of a pair. Such characters show as nothing or garble a screen, an export
    /// or a notice, and XML 1.0 cannot carry most of them.
    /// </summary>
    public static int? ControlCharacter(string value, bool multiLine)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            var refused = c switch
            {
                '\t' or '\r' or '\n' => !multiLine,
                < '\u0020' => true,
                >= '\u007F' and <= '\u009F' => true,
                '\uFFFE' or '\uFFFF' => true,
                _ => char.IsSurrogate(c),
            };
            if (refused) return c;
        }

        return null;
    }
}
