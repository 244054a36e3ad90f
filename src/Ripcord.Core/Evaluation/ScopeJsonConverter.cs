using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ripcord.Core.Evaluation;

/// <summary>Writes a <see cref="Scope"/> as its text form (<c>cohort:pilot</c>); reads stored and streamed state, validated when written.</summary>
public sealed class ScopeJsonConverter : JsonConverter<Scope>
{
    public override Scope Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Scope.TryRead(reader.GetString(), out var scope, out var error) ? scope : throw new JsonException(error);

    public override void Write(Utf8JsonWriter writer, Scope value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
