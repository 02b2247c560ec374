using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Api.Hosting;
using Whistle.Core.Domain;

namespace Whistle.Api.Whistles;

/// <summary>A command's outcome (<see cref="CommandResult{T}"/>, from Whistle.Core) as HTTP: PRODUCT.md §5's problem details.</summary>
public static class CommandResults
{
    /// <summary>The command's outcome; on success, what <paramref name="read"/> reads back (the resource as it now is, as the caller sees it).</summary>
    public static async Task<Results<Ok<TDto>, ValidationProblem, ProblemHttpResult>> ThenRead<T, TDto>(this Task<CommandResult<T>> command, Func<T, Task<TDto?>> read)
        where TDto : class =>
        await command switch
        {
            CommandResult<T>.Success s => await read(s.Value) is { } dto ? TypedResults.Ok(dto) : NotFoundProblem(),
            var problem => Problem<T, TDto>(problem),
        };

    public static async Task<Results<Ok<T>, ValidationProblem, ProblemHttpResult>> ToHttp<T>(this Task<CommandResult<T>> command) =>
        await command switch
        {
            CommandResult<T>.Success s => TypedResults.Ok(s.Value),
            var problem => Problem<T, T>(problem),
        };

    /// <summary>Any outcome but success: 400 naming the fields, 404, 403, 409.</summary>
    public static Results<Ok<TDto>, ValidationProblem, ProblemHttpResult> Problem<T, TDto>(CommandResult<T> result) => result switch
    {
        CommandResult<T>.Invalid i => ProblemResults.Validation(i.Errors),
        CommandResult<T>.NotFound => NotFoundProblem(),
        CommandResult<T>.Forbidden f => ProblemResults.Forbidden(f.Problem),
        CommandResult<T>.Conflict c => ProblemResults.Conflict(c.Problem),
        CommandResult<T>.TooLarge l => ProblemResults.TooLarge(l.Problem),
        _ => throw new InvalidOperationException($"{result.GetType().Name} is not a problem."),
    };

    public static ProblemHttpResult NotFoundProblem() => ProblemResults.NotFound();
}
