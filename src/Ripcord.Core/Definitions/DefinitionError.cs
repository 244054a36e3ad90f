namespace Ripcord.Core.Definitions;

/// <summary>One problem found in a definition, with the line it is on (0 when it has none).</summary>
public sealed record DefinitionError(int Line, string Path, string Message)
{
    public override string ToString() =>
        Line > 0 ? $"line {Line}: {Path}: {Message}" : $"{Path}: {Message}";
}

/// <summary>The outcome of reading or validating a definition: a definition, or every error found.</summary>
public sealed record DefinitionResult(ProgramDefinition? Definition, IReadOnlyList<DefinitionError> Errors)
{
    public bool IsValid => Definition is not null && Errors.Count == 0;
}
