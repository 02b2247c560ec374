using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Whistle.Api.Whistles;

/// <summary>The outcome of a command, mapped to the problem details of PRODUCT.md §5 at the edge.</summary>
public abstract record CommandResult<T>
{
    public sealed record Success(T Value, bool Replayed = false) : CommandResult<T>;

    public sealed record Invalid(IDictionary<string, string[]> Errors) : CommandResult<T>;

    public sealed record NotFound : CommandResult<T>;

    public sealed record Forbidden(string Detail) : CommandResult<T>;

    public sealed record Conflict(string Detail) : CommandResult<T>;
}

public static class CommandResults
{
    public static Results<Ok<T>, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult> ToHttp<T>(this CommandResult<T> result) => result switch
    {
        CommandResult<T>.Success s => TypedResults.Ok(s.Value),
        CommandResult<T>.Invalid i => TypedResults.ValidationProblem(i.Errors),
        CommandResult<T>.NotFound => NotFoundProblem(),
        CommandResult<T>.Forbidden f => TypedResults.Problem(title: "Forbidden", detail: f.Detail, statusCode: StatusCodes.Status403Forbidden),
        CommandResult<T>.Conflict c => TypedResults.Problem(title: "The transition is not allowed", detail: c.Detail, statusCode: StatusCodes.Status409Conflict),
        _ => throw new InvalidOperationException("Unknown command result."),
    };

    public static NotFound<ProblemDetails> NotFoundProblem() => TypedResults.NotFound(new ProblemDetails
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Not found",
        Detail = "No such resource, or it is not yours to see.",
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    });
}
