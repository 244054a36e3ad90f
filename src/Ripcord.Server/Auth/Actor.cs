using System.Security.Claims;
using Ripcord.Core.Governance;

namespace Ripcord.Server.Auth;

/// <summary>Who made a request: the token's principal (stable id and display name), its role and the token's id.</summary>
public sealed record Actor(Principal Principal, Role Role, string TokenId)
{
    public static readonly Actor System = new(Principal.System, Role.System, "system");

    public string Name => Principal.Name;
}

public static class ActorExtensions
{
    public const string PrincipalClaim = "principal";
    public const string TokenClaim = "token";

    public static Actor Actor(this HttpContext context)
    {
        var user = context.User;
        var name = user.Identity?.Name ?? "anonymous";
        var role = Role.TryParse(user.FindFirstValue(ClaimTypes.Role), out var r) ? r : default;
        return new Actor(new Principal(user.FindFirstValue(PrincipalClaim) ?? "anonymous", name), role, user.FindFirstValue(TokenClaim) ?? "");
    }
}
