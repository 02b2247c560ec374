using Whistle.Core.Problems;

namespace Whistle.Core.Domain;

/// <summary>
/// A period a read asks for, [from, to): the assessment, the establishment office's view, the exports. The one rule of
/// its shape, so that every endpoint refuses a range alike.
/// </summary>
public static class DateRanges
{
    /// <summary>The longest range a read spans (a little over a year: a year's assessment and its edges).</summary>
    public const int MaxDays = 400;

    /// <summary>The range's problem, on the field <c>to</c>: an end not after the start, or more than <see cref="MaxDays"/> days.</summary>
    public static FieldErrors Check(DateTimeOffset from, DateTimeOffset to)
    {
        var errors = new FieldErrors();
        if (to <= from) errors.Set("to", Problem.EndBeforeStart());
        else if (to - from > TimeSpan.FromDays(MaxDays)) errors.Set("to", Problem.PeriodTooLong(MaxDays, $"A range spans at most {MaxDays} days."));
        return errors;
    }
}
