using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ripcord.Server.Http;

/// <summary>
/// Reads an open-ended JSON value (an attribute, a stage given as text or number) and refuses it
/// there and then when a string in it is not valid Unicode (a lone UTF-16 surrogate such as
/// <c>"\ud800"</c>). Typed string fields are already refused by System.Text.Json as they are read; a
/// <see cref="JsonElement"/> keeps its text raw, and would throw only later, when a handler reads it.
/// </summary>
public sealed class UnicodeCheckedJsonElementConverter : JsonConverter<JsonElement>
{
    public const string Message = "text that is not valid Unicode (a lone UTF-16 surrogate)";

    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        if (!IsValidText(element))
        {
            throw new JsonException(Message);
        }
        return element;
    }

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);

    /// <summary>Whether every string and property name in <paramref name="element"/> can be read as text.</summary>
    public static bool IsValidText(JsonElement element)
    {
        try
        {
            return Walk(element);
        }
        catch (InvalidOperationException)
        {
            return false; // GetString: "Cannot read invalid UTF-16 JSON text as string"
        }
    }

    private static bool Walk(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                _ = element.GetString();
                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item);
                }
                return true;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    Walk(property.Value);
                }
                return true;
            default:
                return true;
        }
    }
}
