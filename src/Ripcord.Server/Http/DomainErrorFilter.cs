using Ripcord.Core.Evaluation;
using Ripcord.Server.Programs;
using Ripcord.Server.Storage;

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
    }
}
