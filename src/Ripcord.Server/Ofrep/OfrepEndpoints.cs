using Ripcord.Server.Ofrep;

// In the server's root namespace so RipcordServer maps OFREP with one line and no extra using.
namespace Ripcord.Server;

public static class OfrepEndpoints
{
    /// <summary>Maps the OFREP evaluation endpoints (<see cref="OfrepApi"/>).</summary>
    public static IEndpointRouteBuilder MapOfrep(this IEndpointRouteBuilder app) => OfrepApi.Map(app);
}
