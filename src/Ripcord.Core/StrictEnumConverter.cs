using System.Text.Json.Serialization;

namespace Ripcord.Core;

/// <summary>An enum as its name only: a number (<c>"class": 1</c>) is refused, not read as the member at that position.</summary>
public sealed class StrictEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
    where TEnum : struct, Enum;
