using Microsoft.AspNetCore.Http.HttpResults;
using Whistle.Core.Problems;

namespace Whistle.Api.Hosting;

/// <summary>
/// Problem answers with their codes (docs/API.md, "Problem codes"): every problem carries <c>code</c> and <c>params</c>
/// beside the English <c>detail</c>; a 400 also carries <c>codes</c>, each field's problems as <c>{code, params}</c>
/// beside <c>errors</c>. <see cref="AddCodes"/> gives the framework's own answers (and any other) a code by status.
/// </summary>
public static class ProblemResults
{
    public static ProblemHttpResult Problem(int statusCode, string title, ProblemText problem) =>
        TypedResults.Problem(title: title, detail: problem.Detail, statusCode: statusCode, extensions: Extensions(problem));

    public static ProblemHttpResult Forbidden(ProblemText problem) => Problem(StatusCodes.Status403Forbidden, "Forbidden", problem);

    public static ProblemHttpResult Conflict(ProblemText problem) => Problem(StatusCodes.Status409Conflict, "The transition is not allowed", problem);

    /// <summary>413: a limit of the attachments, its code naming the setting and the limit in <c>params.limit</c>.</summary>
    public static ProblemHttpResult TooLarge(ProblemText problem) => Problem(StatusCodes.Status413PayloadTooLarge, "Too large", problem);

    public static ProblemHttpResult NotFound() => Problem(StatusCodes.Status404NotFound, "Not found", Whistle.Core.Problems.Problem.NotFound());

    /// <summary>A 400 with <c>errors</c> and <c>codes</c>; a field whose message came without a code gets <c>invalid</c>.</summary>
    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(
            errors,
            extensions: new Dictionary<string, object?>
            {
                ["code"] = ProblemCodes.InvalidRequest,
                ["params"] = new Dictionary<string, object?>(),
                ["codes"] = CodesOf(errors),
            });

    private static Dictionary<string, object?> Extensions(ProblemText problem) => new()
    {
        ["code"] = problem.Code,
        ["params"] = problem.Params,
    };

    private static Dictionary<string, FieldProblem[]> CodesOf(IDictionary<string, string[]> errors)
    {
        var coded = (errors as FieldErrors)?.Codes;
        return errors.Keys.ToDictionary(
            key => key,
            key => coded is not null && coded.TryGetValue(key, out var codes) ? codes : [new FieldProblem(ProblemCodes.Invalid, Empty)],
            StringComparer.Ordinal);
    }

    private static readonly IReadOnlyDictionary<string, object?> Empty = new Dictionary<string, object?>();

    /// <summary>The code of an answer that was given none: by its status (and for a 400, <c>invalid</c> on every field).</summary>
    public static void AddCodes(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        if (!details.Extensions.ContainsKey("code"))
        {
            details.Extensions["code"] = details.Status switch
            {
                StatusCodes.Status400BadRequest => ProblemCodes.InvalidRequest,
                StatusCodes.Status401Unauthorized => ProblemCodes.Unauthorized,
                StatusCodes.Status403Forbidden => ProblemCodes.Forbidden,
                StatusCodes.Status404NotFound => ProblemCodes.NotFound,
                StatusCodes.Status405MethodNotAllowed => ProblemCodes.MethodNotAllowed,
                StatusCodes.Status409Conflict => ProblemCodes.Conflict,
                StatusCodes.Status413PayloadTooLarge => ProblemCodes.BodyTooLarge,
                StatusCodes.Status415UnsupportedMediaType => ProblemCodes.UnsupportedMediaType,
                StatusCodes.Status429TooManyRequests => ProblemCodes.TooManyRequests,
                StatusCodes.Status503ServiceUnavailable => ProblemCodes.Unavailable,
                >= 500 => ProblemCodes.ServerError,
                _ => ProblemCodes.InvalidRequest,
            };
            details.Extensions["params"] = Empty;
        }

        if (details is HttpValidationProblemDetails validation && !details.Extensions.ContainsKey("codes"))
        {
            details.Extensions["codes"] = CodesOf(validation.Errors);
        }
    }
}
