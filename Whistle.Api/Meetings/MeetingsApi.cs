using Whistle.Core.Problems;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Hosting;
using Whistle.Api.Auth;
using Whistle.Api.Whistles;
using Whistle.Core.Domain;
using Whistle.Core.Hosting;
using Whistle.Core.Meetings;

namespace Whistle.Api.Meetings;

/// <summary>Coordination meetings: schedule, summons and answers, attendance, minutes and decisions, iCalendar.</summary>
public static class MeetingsApi
{
    public static IEndpointRouteBuilder MapMeetingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/meetings").RequireAuthorization(RolePolicies.Business).WithTags("Meetings").ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapPost("/", Schedule).WithName("ScheduleMeeting").ProducesCommand();
        api.MapGet("/", List).WithName("ListMeetings");
        api.MapGet("/{id}", Get).WithName("GetMeeting").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id}/ics", Calendar).WithName("GetMeetingCalendar").ProducesProblem(StatusCodes.Status404NotFound)
            .Produces(StatusCodes.Status200OK, contentType: "text/calendar");
        api.MapPost("/{id}/summons/{summonsId}/confirm", (string id, string summonsId, ConfirmSummonsRequest request, HttpContext http, MeetingStore meetings, MeetingQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => meetings.ConfirmAsync(caller, id, summonsId, request, ct))).WithName("ConfirmSummons").ProducesTransition();
        api.MapPost("/{id}/summons/{summonsId}/decline", (string id, string summonsId, DeclineSummonsRequest request, HttpContext http, MeetingStore meetings, MeetingQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => meetings.DeclineAsync(caller, id, summonsId, request, ct))).WithName("DeclineSummons").ProducesTransition();
        api.MapPost("/{id}/attendance", (string id, RecordAttendanceRequest request, HttpContext http, MeetingStore meetings, MeetingQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => meetings.RecordAttendanceAsync(caller, id, request, ct))).WithName("RecordAttendance").ProducesTransition();
        api.MapPost("/{id}/minutes", (string id, RecordMinutesRequest request, HttpContext http, MeetingStore meetings, MeetingQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => meetings.RecordMinutesAsync(caller, id, request, ct))).WithName("RecordMinutes").ProducesTransition();
        api.MapPost("/{id}/cancel", (string id, HttpContext http, MeetingStore meetings, MeetingQueries queries, CancellationToken ct) =>
            Execute(http, queries, caller => meetings.CancelAsync(caller, id, ct))).WithName("CancelMeeting").ProducesTransition();
        return app;
    }

    /// <summary>A command of the meeting's owner for this caller; on success, the meeting as it now is.</summary>
    private static Task<Results<Ok<MeetingDto>, ValidationProblem, ProblemHttpResult>> Execute(
        HttpContext http, MeetingQueries queries, Func<Caller, Task<CommandResult<string>>> command)
    {
        var caller = CurrentUser.From(http);
        return command(caller).ThenRead(meetingId => queries.GetAsync(caller, meetingId, http.RequestAborted));
    }

    private static async Task<Results<Created<IReadOnlyList<MeetingDto>>, ValidationProblem, ProblemHttpResult>> Schedule(
        ScheduleMeetingRequest request, HttpContext http, MeetingStore meetings, MeetingQueries queries, CancellationToken ct)
    {
        var caller = CurrentUser.From(http);
        switch (await meetings.ScheduleAsync(caller, request, ct))
        {
            case CommandResult<IReadOnlyList<string>>.Success s:
                var created = new List<MeetingDto>();
                foreach (var id in s.Value) created.Add((await queries.GetAsync(caller, id, ct))!);
                return TypedResults.Created($"/api/meetings/{created[0].Id}", (IReadOnlyList<MeetingDto>)created);
            case CommandResult<IReadOnlyList<string>>.Invalid i:
                return ProblemResults.Validation(i.Errors);
            case CommandResult<IReadOnlyList<string>>.Forbidden f:
                return ProblemResults.Forbidden(f.Problem);
            default:
                return CommandResults.NotFoundProblem();
        }
    }

    private static async Task<Results<Ok<PageDto<MeetingDto>>, ValidationProblem>> List(
        HttpContext http, MeetingQueries queries, CancellationToken ct, string? status = "upcoming", int page = 1, int pageSize = 20)
    {
        var errors = new FieldErrors();
        if (status is not ("upcoming" or "past" or "all")) errors.Set("status", Problem.OneOf("status", ["upcoming", "past", "all"], "upcoming, past or all."));
        if (page < 1) errors.Set("page", Problem.OutOfRange("page", 1, int.MaxValue, "The page starts at 1."));
        if (pageSize is < 1 or > MeetingQueries.MaxPageSize) errors.Set("pageSize", Problem.OutOfRange("pageSize", 1, MeetingQueries.MaxPageSize, $"The page size must be between 1 and {MeetingQueries.MaxPageSize}."));
        if (errors.Count > 0) return ProblemResults.Validation(errors);
        return TypedResults.Ok(await queries.ListAsync(CurrentUser.From(http), status!, page, pageSize, ct));
    }

    private static async Task<Results<Ok<MeetingDto>, ProblemHttpResult>> Get(string id, HttpContext http, MeetingQueries queries, CancellationToken ct) =>
        await queries.GetAsync(CurrentUser.From(http), id, ct) is { } meeting ? TypedResults.Ok(meeting) : CommandResults.NotFoundProblem();

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Calendar(string id, HttpContext http, MeetingQueries queries, CountyCatalogHolder county, TimeProvider time, CancellationToken ct)
    {
        if (await queries.GetAsync(CurrentUser.From(http), id, ct) is not { } meeting) return CommandResults.NotFoundProblem();
        return TypedResults.File(Encoding.UTF8.GetBytes(ICalendar(meeting, county.Catalog.County.Name, time.GetUtcNow())), "text/calendar; charset=utf-8", $"meeting-{meeting.StartsAt.ToOffset(TimeSpan.FromHours(8)):yyyyMMdd}.ics");
    }

    /// <summary>An RFC 5545 calendar with one event: times in UTC, text escaped, lines folded at 75 octets.</summary>
    public static string ICalendar(MeetingDto m, string countyName, DateTimeOffset now)
    {
        static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(";", "\\;", StringComparison.Ordinal)
            .Replace(",", "\\,", StringComparison.Ordinal).Replace("\r\n", "\\n", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        var lines = new List<string>
        {
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Whistle//Coordination meetings//ZH", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            $"UID:{m.Id}@whistle",
            $"DTSTAMP:{Time(now)}",
            $"DTSTART:{Time(m.StartsAt)}",
            $"DTEND:{Time(m.EndsAt)}",
            $"SUMMARY:{Escape(m.Title)}",
            $"LOCATION:{Escape(m.Place)}",
            $"DESCRIPTION:{Escape($"{m.Agenda}\n{countyName} 协调会议，请于 {m.ConfirmBy.ToOffset(TimeSpan.FromHours(8)):yyyy-MM-dd HH:mm} 前确认参会。")}",
            $"ORGANIZER;CN={Escape(m.Organizer.DisplayName)}:urn:whistle:user:{m.Organizer.UserName}",
            $"STATUS:{(m.Status == MeetingStatus.Cancelled ? "CANCELLED" : "CONFIRMED")}",
        };
        lines.AddRange(m.Summons.Select(s => $"ATTENDEE;CN={Escape(s.UnitName)};PARTSTAT={(s.Status == SummonsStatus.Confirmed ? "ACCEPTED" : s.Status == SummonsStatus.Declined ? "DECLINED" : "NEEDS-ACTION")}:urn:whistle:unit:{s.BranchId ?? s.AgencyCode}"));
        lines.AddRange(["END:VEVENT", "END:VCALENDAR"]);
        return string.Concat(lines.Select(l => Fold(l) + "\r\n"));
    }

    private static string Fold(string line)
    {
        var result = new StringBuilder();
        var octets = 0;
        foreach (var rune in line.EnumerateRunes())
        {
            var size = rune.Utf8SequenceLength;
            if (octets + size > 75)
            {
                result.Append("\r\n ");
                octets = 1;
            }

            result.Append(rune.ToString());
            octets += size;
        }

        return result.ToString();
    }
}
