using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;

namespace Ripcord.Server.Overrides;

/// <summary>Non-user scopes need the full override permission; a refusal is audited like any 403.</summary>
public sealed class OverridePermission(DenialAudit denials)
{
    public async Task<ProblemHttpResult?> DenyAsync(HttpContext context, string scopeText)
    {
        var actor = context.Actor();
        if (OverrideService.ScopeRefusal(actor, scopeText) is not { } refusal)
        {
            return null;
        }
        await denials.RecordAsync(context, actor, $"{context.Request.Method} {context.Request.Path} scope={scopeText}");
        return Problems.Result(StatusCodes.Status403Forbidden, "Forbidden", refusal);
    }
}
