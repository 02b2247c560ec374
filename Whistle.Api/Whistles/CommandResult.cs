using Microsoft.AspNetCore.Http.HttpResults;

namespace Whistle.Api.Whistles;

/// <summary>The outcome of a command, mapped to the problem details of PRODUCT.md §5 at the edge.</summary>
public abstract record CommandResult<T>
{
    public sealed record Success(T Value, bool Replayed = false) : CommandResult<T>;

    public sealed record Invalid(IDictionary<string, string[]> Errors) : CommandResult<T>;

    public sealed record NotFound : CommandResult<T>;

    public sealed record Forbidden(string Detail) : CommandResult<T>;

    public sealed record Conflict(string Detail) : CommandResult<T>;

    /// <summary>413: a limit of the attachments (their count or their size together), named with its setting.</summary>
    public sealed record TooLarge(string Code, string Detail) : CommandResult<T>;
}

public static class CommandResults
{
    public static Results<Ok<T>, ValidationProblem, ProblemHttpResult> ToHttp<T>(this CommandResult<T> result) => result switch
    {
        CommandResult<T>.Success s => TypedResults.Ok(s.Value),
        CommandResult<T>.Invalid i => TypedResults.ValidationProblem(i.Errors),
        CommandResult<T>.NotFound => NotFoundProblem(),
        CommandResult<T>.Forbidden f => TypedResults.Problem(title: "Forbidden", detail: f.Detail, statusCode: StatusCodes.Status403Forbidden),
        CommandResult<T>.Conflict c => TypedResults.Problem(title: "The transition is not allowed", detail: c.Detail, statusCode: StatusCodes.Status409Conflict),
        CommandResult<T>.TooLarge l => TooLargeProblem(l.Code, l.Detail),
        _ => throw new InvalidOperationException("Unknown command result."),
    };

    public static ProblemHttpResult TooLargeProblem(string code, string detail) =>
        TypedResults.Problem(title: "Too large", detail: detail, statusCode: StatusCodes.Status413PayloadTooLarge, extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult NotFoundProblem() =>
        TypedResults.Problem(title: "Not found", detail: "No such resource, or it is not yours to see.", statusCode: StatusCodes.Status404NotFound);
}
