using Xunit.Sdk;

namespace Ripcord.Testing;

/// <summary>Names the invariant (docs/invariants.md) a test guards, so a failure says what broke.</summary>
[TraitDiscoverer("Ripcord.Testing.InvariantDiscoverer", "Ripcord.Testing")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class InvariantAttribute(string id, string description) : Attribute, ITraitAttribute
{
    public string Id { get; } = id;
    public string Description { get; } = description;
}

public sealed class InvariantDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(Xunit.Abstractions.IAttributeInfo traitAttribute)
    {
        yield return new("Invariant", traitAttribute.GetNamedArgument<string>("Id"));
    }
}
