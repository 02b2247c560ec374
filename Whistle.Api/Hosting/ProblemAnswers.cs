namespace Whistle.Api.Hosting;

/// <summary>
/// The problem-details answers (RFC 9457) an endpoint can give, as OpenAPI metadata. 400 with an
/// <c>errors</c> map comes from the handlers' <c>ValidationProblem</c> result type; 401 is declared on
/// every group that requires a token; these add the rest.
/// </summary>
public static class ProblemAnswers
{
    /// <summary>A command that creates something: 403 (wrong role), 409 (not allowed now), 413 (body too large).</summary>
    public static RouteHandlerBuilder ProducesCommand(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

    /// <summary>A transition of a whistle or an assignment: 403 (not yours), 404 (outside your scope), 409 (not allowed now), 413.</summary>
    public static RouteHandlerBuilder ProducesTransition(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
}
