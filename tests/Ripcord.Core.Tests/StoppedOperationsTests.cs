using Ripcord.Core.Evaluation;
using Ripcord.Core.Rollback;
using Ripcord.Testing;

namespace Ripcord.Core.Tests;

/// <summary>
/// A rollback's verification counts an operation reported under the reverted revision, from a context for
/// which its flag is now off, as a violation (seed §13: "the disabled operations stopped"), and nothing else.
/// </summary>
public sealed class StoppedOperationsTests
{
    // Routes (F1) on everywhere, sends on by default, and off for acme: what a rollback to such a revision leaves.
    private static readonly CompiledProgram Program = CompiledProgram.Compile(
        Groups.Initial.WithOverride("F1", "global", true).WithOverride("groups.send.enabled", "workspace:acme", false), 7);

    [Theory]
    [Invariant("RB-11", "after a rollback, an operation reported under its revision is a violation exactly when its flag is off for the reporting context")]
    [InlineData("send", 7L, "acme", "send")]          // sends are off for acme: reported under the rollback's revision
    [InlineData("send", 9L, "acme", "send")]          // ...or a later one
    [InlineData("send", 6L, "acme", null)]            // made before the rollback's revision reached the SDK: not a violation
    [InlineData("send", null, "acme", null)]          // no revision: nothing says it was made under the rollback
    [InlineData("send", 7L, "initech", null)]         // sends are on for initech
    [InlineData("mode", 7L, "acme", null)]            // not an operation's event
    [InlineData("fallback", 7L, "acme", null)]
    public void AnOperationIsAViolation_ExactlyWhenItsFlagIsOffForItsContext(string type, long? revision, string workspace, string? expected) =>
        Assert.Equal(expected, StoppedOperations.Violated(Program, 7, type, revision, workspace, 1, Groups.Now));

    [Fact]
    [Invariant("RB-11", "after a rollback, an operation reported under its revision is a violation exactly when its flag is off for the reporting context")]
    public void AFlagOffThroughItsPrerequisite_StopsTheOperationToo()
    {
        // Routes off for globex: sends there are disabled through their prerequisite.
        var program = CompiledProgram.Compile(Groups.Initial.WithOverride("F1", "global", true).WithOverride("F1", "workspace:globex", false), 3);
        Assert.Equal("send", StoppedOperations.Violated(program, 3, "send", 3, "globex", 1, Groups.Now));
        Assert.Null(StoppedOperations.Violated(program, 3, "send", 3, "acme", 1, Groups.Now));
    }
}
