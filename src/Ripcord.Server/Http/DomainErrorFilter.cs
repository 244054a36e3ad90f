using System.Data.Common;
using Ripcord.Core.Changes;
using Ripcord.Server.Programs;
using Ripcord.Server.Revisions;

namespace Ripcord.Server.Http;

/// <summary>Maps the domain's refusals to problem details, so endpoints only state the happy path.</summary>
public sealed class DomainErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ChangeRejectedException ex) when (ex.Kind == ChangeError.NotFound)
        {
            return Problems.NotFound(ex.Message);
        }
        catch (ChangeRejectedException ex) when (ex.Kind == ChangeError.Conflict)
        {
            return Problems.Conflict(ex.Message);
        }
        catch (ChangeRejectedException ex)
        {
            return Problems.BadRequest(ex.Message, ex.Field);
        }
        catch (RevisionConflictException ex)
        {
            return Problems.Conflict($"{ex.Message}: read the current revision and retry with If-Match: {ex.Actual}", ex.Actual);
        }
        catch (UnknownProgramException ex)
        {
            return Problems.NotFound(ex.Message);
        }
        catch (DbException)
        {
            // The database refused or could not take the write: its transaction rolled back whole.
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                "the change could not be stored, so nothing of it was kept; retry when storage is healthy");
        }
    }
}
