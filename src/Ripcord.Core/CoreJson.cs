using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ripcord.Core;

/// <summary>The JSON shape of core records (states, definitions) as stored and sent to SDKs.</summary>
public static class CoreJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };
}
