using Whistle.Core.Problems;

namespace Whistle.Core.Domain;

/// <summary>
/// The outcome of a command of an aggregate owner, in the order the checks run: not found (or not the caller's to
/// see), forbidden, invalid input, a transition the lifecycle refuses or a change that lost a race (conflict), or
/// success. The Api maps it to the problem details of PRODUCT.md §5.
/// </summary>
public abstract record CommandResult<T>
{
    public sealed record Success(T Value, bool Replayed = false) : CommandResult<T>;

    public sealed record Invalid(IDictionary<string, string[]> Errors) : CommandResult<T>;

    public sealed record NotFound : CommandResult<T>;

    public sealed record Forbidden(ProblemText Problem) : CommandResult<T>;

    public sealed record Conflict(ProblemText Problem) : CommandResult<T>;

    /// <summary>413: a limit of the attachments (their count, or their size together), its code naming the setting and the limit as a param.</summary>
    public sealed record TooLarge(ProblemText Problem) : CommandResult<T>;
}
