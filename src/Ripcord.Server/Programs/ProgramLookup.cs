using Ripcord.Core.Evaluation;

namespace Ripcord.Server.Programs;

public static class ProgramLookup
{
    /// <summary>The current compiled program, or an <see cref="UnknownProgramException"/> (a 404).</summary>
    public static CompiledProgram Current(this ProgramRegistry registry, string program) =>
        registry.TryGet(program, out var compiled) ? compiled : throw new UnknownProgramException(program);
}
