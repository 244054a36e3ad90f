namespace Ripcord.Core.Definitions;

/// <summary>
/// The programs that ship with Ripcord (definitions/*.yaml, embedded). The server installs
/// them on first start; the SDK uses them for safe values before any configuration arrives.
/// </summary>
public static class BuiltInPrograms
{
    private static readonly Lazy<string> Yaml = new(() =>
    {
        using var stream = typeof(BuiltInPrograms).Assembly.GetManifestResourceStream("Ripcord.Core.Definitions.groups.yaml")
            ?? throw new InvalidOperationException("groups.yaml is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static readonly Lazy<ProgramDefinition> Parsed = new(() =>
    {
        var result = DefinitionReader.Read(Yaml.Value);
        return result.IsValid ? result.Definition! : throw new InvalidOperationException("built-in groups.yaml is invalid: " + string.Join("; ", result.Errors));
    });

    public static string GroupsYaml => Yaml.Value;

    public static ProgramDefinition Groups => Parsed.Value;

    public static ProgramDefinition? Find(string program) =>
        string.Equals(program, "groups", StringComparison.Ordinal) ? Groups : null;
}
