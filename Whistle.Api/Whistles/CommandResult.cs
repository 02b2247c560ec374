using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Hosting;
using Whistle.Core.Problems;

namespace Whistle.Api.Whistles;

/// <summary>The outcome of a command, mapped to the problem details of PRODUCT.md §5 at the edge.</summary>
public abstract record CommandResult<T>
{
    public sealed record Success(T Value, bool Replayed = false) : CommandResult<T>;

    public sealed record Invalid(IDictionary<string, string[]> Errors) : CommandResult<T>;

    public sealed record NotFound : CommandResult<T>;

    public sealed record Forbidden(ProblemText Problem) : CommandResult<T>;

    public sealed record Conflict(ProblemText Problem) : CommandResult<T>;
}

public static class CommandResults
{
    public static Results<Ok<T>, ValidationProblem, ProblemHttpResult> ToHttp<T>(this CommandResult<T> result) => result switch
    {
        CommandResult<T>.Success s => TypedResults.Ok(s.Value),
        CommandResult<T>.Invalid i => ProblemResults.Validation(i.Errors),
        CommandResult<T>.NotFound => NotFoundProblem(),
        CommandResult<T>.Forbidden f => ProblemResults.Forbidden(f.Problem),
        CommandResult<T>.Conflict c => ProblemResults.Conflict(c.Problem),
        _ => throw new InvalidOperationException("Unknown command result."),
    };

    public static ProblemHttpResult NotFoundProblem() => ProblemResults.NotFound();
}
