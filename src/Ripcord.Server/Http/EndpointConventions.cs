namespace Ripcord.Server.Http;

/// <summary>
/// What every endpoint of a kind answers besides its success, so the OpenAPI document names every
/// problem-details error: reads can be unauthenticated, forbidden, or about something that does
/// not exist; configuration writes can also be invalid, stale (409, If-Match), too large, of the
/// wrong media type, or unstorable (503).
/// </summary>
public static class EndpointConventions
{
    public static RouteHandlerBuilder Read(this RouteHandlerBuilder endpoint, string name, string summary) => endpoint
        .WithName(name)
        .WithSummary(summary)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound);

    public static RouteHandlerBuilder Write(this RouteHandlerBuilder endpoint, string name, string summary) => endpoint
        .Read(name, summary)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
