using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Core.Changes;
using Ripcord.Core.Incidents;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

namespace Ripcord.Server.Incidents;

public sealed record CompleteReviewBody(string Findings);

/// <summary>Post-action reviews (SPEC §9): every emergency action opens one; someone other than the actor completes it.</summary>
public static class ReviewsApi
{
    public static RouteGroupBuilder MapReviews(this RouteGroupBuilder api)
    {
        var reviews = api.MapGroup("/reviews").WithTags("Reviews");
        reviews.MapGet("", async (bool? open, string? program, string? incident, ReviewService service, CancellationToken ct) =>
                TypedResults.Ok(await service.ListAsync(open, program, incident, ct)))
            .Read("ListReviews", "Post-action reviews, newest first (open=true: only those still to complete)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        reviews.MapGet("/{id}", async (string id, ReviewService service, CancellationToken ct) =>
                TypedResults.Ok(await service.GetAsync(id, ct) ?? throw new ChangeRejectedException(ChangeError.NotFound, "review", $"no review '{id}'")))
            .Read("GetReview", "One post-action review")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.IncidentsRead));
        reviews.MapPost("/{id}/complete", async Task<Results<Ok<PostActionReview>, ProblemHttpResult>> (string id, CompleteReviewBody body,
                HttpContext http, ReviewService service) =>
                TypedResults.Ok(await service.CompleteAsync(id, body.Findings ?? "", http.Actor(), http.RequestAborted)))
            .Write("CompleteReview", "Complete a review with findings (409 when the reviewer is the actor)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ReviewsComplete));
        return api;
    }
}
