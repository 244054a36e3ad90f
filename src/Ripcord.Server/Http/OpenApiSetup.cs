using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace Ripcord.Server.Http;

/// <summary>
/// The OpenAPI document at /openapi/v1.json: bearer authentication declared once and required by
/// every endpoint that needs a token, and no server URL (which would name whatever port answered),
/// so the document is the same on every machine and docs/openapi.json can be held to it.
/// </summary>
public static class OpenApiSetup
{
    /// <summary>
    /// Documents a JSON request body that the endpoint reads itself (OFREP's open-ended context, a
    /// telemetry batch checked field by field) without <c>Accepts</c>, whose content-type matching
    /// would answer 415 before the endpoint could answer in its own protocol.
    /// </summary>
    public static RouteHandlerBuilder DocumentsJsonBody<T>(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = false,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });

    public const string Scheme = "bearer";

    public static IServiceCollection AddRipcordOpenApi(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Ripcord",
                Version = "v1",
                Description = "Release-safety control plane: programs, flags, cohorts, overrides, stages, revisions, audit, SDK stream and telemetry.",
            };
            document.Servers = [];
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                [Scheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "A Ripcord token: 'Authorization: Bearer <token>' (OFREP also takes X-API-Key).",
                },
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] }];
            }
            return Task.CompletedTask;
        });
    });
}
