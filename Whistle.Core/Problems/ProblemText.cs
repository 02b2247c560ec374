namespace Whistle.Core.Problems;

/// <summary>
/// One problem as the API says it: a stable <see cref="Code"/> (kebab-case, one of <see cref="ProblemCodes"/>), the
/// values its text needs (<see cref="Params"/>: camelCase names; numbers, words of the API's vocabulary, ISO-8601 UTC
/// times) and the English <see cref="Detail"/> for API clients. The UI translates the code and never shows the detail
/// in Chinese.
/// </summary>
public sealed record ProblemText(string Code, string Detail, IReadOnlyDictionary<string, object?> Params)
{
    private static readonly IReadOnlyDictionary<string, object?> None = new Dictionary<string, object?>();

    public static ProblemText Of(string code, string detail) => new(code, detail, None);

    public static ProblemText Of(string code, string detail, params (string Name, object? Value)[] parameters) =>
        new(code, detail, parameters.ToDictionary(p => p.Name, p => p.Value));
}

/// <summary>The code of one field's problem in a 400 answer (<c>codes: {field: [{code, params}]}</c>).</summary>
public sealed record FieldProblem(string Code, IReadOnlyDictionary<string, object?> Params);

/// <summary>
/// The field errors of a 400 answer: the English messages per field (<c>errors</c>, RFC 9457's validation map, kept
/// for API clients) and, beside them, each message's code and values (<c>codes</c>) for the UI to translate.
/// </summary>
public sealed class FieldErrors : Dictionary<string, string[]>
{
    public Dictionary<string, FieldProblem[]> Codes { get; } = new(StringComparer.Ordinal);

    /// <summary>Takes over every field of <paramref name="other"/>, with its codes.</summary>
    public void SetAll(FieldErrors other)
    {
        foreach (var (field, messages) in other)
        {
            this[field] = messages;
            if (other.Codes.TryGetValue(field, out var codes)) Codes[field] = codes;
        }
    }

    /// <summary>One field's problem.</summary>
    public static FieldErrors Of(string field, ProblemText problem)
    {
        var errors = new FieldErrors();
        errors.Set(field, problem);
        return errors;
    }

    /// <summary>Sets the field's problem (one per field: the first rule it breaks).</summary>
    public void Set(string field, ProblemText problem)
    {
        this[field] = [problem.Detail];
        Codes[field] = [new FieldProblem(problem.Code, problem.Params)];
    }
}
